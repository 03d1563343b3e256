"""Filling the blind index: when a case is opened, when it is amended, and by the backfill."""

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.case.records import Amendment
from ombuds_cases.crypto.identity import (
    DOCUMENT_NUMBERS,
    IDENTITY_SECTION,
    is_sensitive,
    revealed_value,
)
from ombuds_cases.crypto.keyring import FieldDecryptError, FieldKeyring
from ombuds_cases.crypto.keys import CaseCipher, cipher_for
from ombuds_cases.models import Case
from ombuds_cases.privacy import blind_index
from ombuds_cases.privacy.blind_index import Term
from ombuds_cases.privacy.models import PersonIndexEntry
from ombuds_shared.db import UnitOfWork

CONTACT_TERMS: dict[str, Term] = {
    "contact.email": "email",
    **{f"contact.{field}": "phone" for field in blind_index.PHONE_FIELDS},
}


def index_opened_case(
    session: AsyncSession, key: bytes, case: Case, clear_details: dict[str, Any]
) -> None:
    """Stage the index rows of a case being opened, from its details before sealing."""
    found = blind_index.identifiers(
        case.contact_first_name,
        case.contact_last_name,
        case.contact_email,
        clear_details,
        blind_index.clear_identity(clear_details),
    )
    session.add_all(blind_index.entries(key, case.control_number, found))


def corrected_identifiers(case: Case, field: str, clear_value: Any) -> Iterator[tuple[Term, str]]:
    """What a correction of `field` to `clear_value` adds to the case's identifiers."""
    if not isinstance(clear_value, str):
        return
    if field in CONTACT_TERMS:
        yield CONTACT_TERMS[field], clear_value
    elif field == "contact.first_name":
        yield "name", f"{clear_value} {case.contact_last_name or ''}"
    elif field == "contact.last_name":
        yield "name", f"{case.contact_first_name or ''} {clear_value}"
    elif field.startswith(f"{IDENTITY_SECTION}.") and is_sensitive(field):
        name = field.removeprefix(f"{IDENTITY_SECTION}.")
        if name in DOCUMENT_NUMBERS:
            yield "identity", clear_value


async def index_correction(
    session: AsyncSession, key: bytes, case: Case, field: str, clear_value: Any
) -> int:
    """Index the new value of an amended field (the value it replaced stays indexed)."""
    found = list(corrected_identifiers(case, field, clear_value))
    return await blind_index.add_missing(session, key, case.control_number, found)


def _opened(cipher: CaseCipher | None, field: str, stored: Any) -> Any:
    try:
        return revealed_value(cipher, field, stored)
    except FieldDecryptError:
        # A shredded case has nothing left to find it by.
        return None


async def _all_identifiers(
    session: AsyncSession, keyring: FieldKeyring, case: Case
) -> list[tuple[Term, str]]:
    cipher = await cipher_for(session, keyring, case.control_number)
    details = case.details or {}
    identity = {
        name: _opened(cipher, f"{IDENTITY_SECTION}.{name}", value)
        for name, value in blind_index.clear_identity(details).items()
    }
    found = list(
        blind_index.identifiers(
            case.contact_first_name, case.contact_last_name, case.contact_email, details, identity
        )
    )
    amendments = await session.scalars(select(Amendment).where(Amendment.case_id == case.id))
    for amendment in amendments:
        previous = _opened(cipher, amendment.field, amendment.previous_value)
        found.extend(corrected_identifiers(case, amendment.field, previous))
    return found


async def reindex(session: AsyncSession, key: bytes, keyring: FieldKeyring, case: Case) -> None:
    """Rebuild one case's rows: its current identifiers and every value an amendment replaced."""
    found = await _all_identifiers(session, keyring, case)
    rows = blind_index.entries(key, case.control_number, found)
    await blind_index.replace(session, rows, case.control_number)


async def backfill_if_empty(
    session_factory: async_sessionmaker[AsyncSession], key: bytes, keyring: FieldKeyring
) -> int:
    """At start-up: a database with cases but no index (opened before the index existed)."""
    async with session_factory() as session:
        indexed = await session.scalar(select(PersonIndexEntry.id).limit(1))
        opened = await session.scalar(select(Case.id).limit(1))
    if indexed is not None or opened is None:
        return 0
    return await backfill(session_factory, key, keyring)


async def backfill(
    session_factory: async_sessionmaker[AsyncSession],
    key: bytes,
    keyring: FieldKeyring,
    batch: int = 200,
) -> int:
    """Rebuild the index of every case, a batch per transaction; safe to run again."""
    total, after = 0, 0
    while True:
        async with UnitOfWork(session_factory) as uow:
            cases = (
                await uow.session.scalars(
                    select(Case).where(Case.id > after).order_by(Case.id).limit(batch)
                )
            ).all()
            for case in cases:
                await reindex(uow.session, key, keyring, case)
            await uow.commit()
        total += len(cases)
        if len(cases) < batch:
            return total
        after = cases[-1].id
