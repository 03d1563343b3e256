"""The blind index: keyed digests of a person's identifiers, so a request finds every case
about them without the index ever holding a clear value (PIA 7.1, 8.2).

Each identifier is normalized before it is digested, so "ANA  Pérez" finds "ana pérez" and
"+1 (619) 555-0100" finds "16195550100"; nothing fuzzier (a similar name is someone else).
"""

import hashlib
import hmac
import re
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases.crypto.identity import DOCUMENT_NUMBERS, IDENTITY_SECTION
from ombuds_cases.privacy.models import PersonIndexEntry

Term = Literal["email", "name", "phone", "identity"]
TERMS: tuple[Term, ...] = ("email", "name", "phone", "identity")
_NOT_DIGITS = re.compile(r"\D")
_SPACES_AND_DASHES = re.compile(r"[\s\-]")
# Contact fields holding a phone number, as the question paths ask them.
PHONE_FIELDS = ("phone", "phone_number", "alternate_phone")


def normalize(term: Term, value: str) -> str:
    """The form a value is compared in; empty when nothing identifying is left."""
    if term == "email":
        return value.strip().lower()
    if term == "name":
        return " ".join(value.split()).casefold()
    if term == "phone":
        return _NOT_DIGITS.sub("", value)
    return _SPACES_AND_DASHES.sub("", value).upper()


def digest(key: bytes, term: Term, value: str) -> str | None:
    """HMAC-SHA256 of the normalized value, bound to its term; None when nothing is left."""
    normalized = normalize(term, value)
    if not normalized:
        return None
    message = f"{term}:{normalized}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def identifiers(
    first_name: str | None,
    last_name: str | None,
    email: str | None,
    details: dict[str, Any],
    identity_clear: dict[str, Any],
) -> Iterator[tuple[Term, str]]:
    """The identifiers of one case's subject (identity numbers given in clear by the caller)."""
    name = " ".join(part for part in (first_name, last_name) if part)
    if name:
        yield "name", name
    if email:
        yield "email", email
    contact = details.get("contact")
    if isinstance(contact, dict):
        for field in PHONE_FIELDS:
            phone = contact.get(field)
            if isinstance(phone, str):
                yield "phone", phone
    for field, value in identity_clear.items():
        if field in DOCUMENT_NUMBERS and isinstance(value, str):
            yield "identity", value


def entries(
    key: bytes, control_number: str, found: Iterable[tuple[Term, str]]
) -> list[PersonIndexEntry]:
    """Index rows for these identifiers, each (term, digest) once."""
    seen: set[tuple[Term, str]] = set()
    rows: list[PersonIndexEntry] = []
    for term, value in found:
        hashed = digest(key, term, value)
        if hashed is None or (term, hashed) in seen:
            continue
        seen.add((term, hashed))
        rows.append(PersonIndexEntry(control_number=control_number, term=term, digest=hashed))
    return rows


def clear_identity(details: dict[str, Any]) -> dict[str, Any]:
    identity = details.get(IDENTITY_SECTION)
    return dict(identity) if isinstance(identity, dict) else {}


async def add_missing(
    session: AsyncSession, key: bytes, control_number: str, found: Iterable[tuple[Term, str]]
) -> int:
    """Index identifiers a case gained (an amendment); the old ones stay: the amendment keeps
    the value it replaced, so a search by it must still find the case."""
    rows = entries(key, control_number, found)
    if not rows:
        return 0
    found = await session.execute(
        select(PersonIndexEntry.term, PersonIndexEntry.digest).where(
            PersonIndexEntry.control_number == control_number
        )
    )
    existing = {(term, hashed) for term, hashed in found.all()}
    added = 0
    for row in rows:
        if (row.term, row.digest) not in existing:
            session.add(row)
            added += 1
    return added


async def replace(session: AsyncSession, rows: list[PersonIndexEntry], control_number: str) -> None:
    """A case's index rows, rebuilt (the backfill)."""
    await forget(session, control_number)
    session.add_all(rows)


async def forget(session: AsyncSession, control_number: str) -> None:
    """Drop a case's rows: the purge of a case must call this (a digest still finds a person)."""
    await session.execute(
        delete(PersonIndexEntry).where(PersonIndexEntry.control_number == control_number)
    )


async def search(session: AsyncSession, key: bytes, term: Term, value: str) -> list[str]:
    """The control numbers of the cases whose subject has this identifier."""
    hashed = digest(key, term, value)
    if hashed is None:
        return []
    found = await session.scalars(
        select(PersonIndexEntry.control_number)
        .where(PersonIndexEntry.term == term, PersonIndexEntry.digest == hashed)
        .distinct()
    )
    return sorted(found.all())
