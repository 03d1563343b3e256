"""Per-case data keys on a real database (SQLite and PostgreSQL): nothing sensitive is stored in
clear, corrections are sealed too, shredding is final, rotation re-wraps, old plaintext is sealed."""

import asyncio
import base64
import os
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.case.records import Amendment
from ombuds_cases.case.selfservice import SelfServiceHandler
from ombuds_cases.case.views import case_detail
from ombuds_cases.config import Settings
from ombuds_cases.crypto.__main__ import rotate
from ombuds_cases.crypto.backfill import seal_existing
from ombuds_cases.crypto.config import FieldEncryptionSettings, default_keyring
from ombuds_cases.crypto.keyring import FieldDecryptError, FieldKeyring, is_sealed
from ombuds_cases.crypto.keys import CaseCipher, DataKeyShreddedError, cipher_for, shred
from ombuds_cases.crypto.models import CaseDataKey
from ombuds_cases.models import Case
from ombuds_shared.control_numbers import new_control_number
from ombuds_shared.db import UnitOfWork
from ombuds_shared.events import SUBMISSION_CORRECTED_V1, SubmissionCorrectedV1, make_event

from ..conftest import OpenCase, unreachable_platform

SessionFactory = async_sessionmaker[AsyncSession]
PASSPORT = "X98765432"
BIRTH = "1980-02-29"
IDENTITY = {"passport_number": PASSPORT, "date_of_birth": BIRTH, "passport_country": "MX"}


async def raw_row(session_factory: SessionFactory, table: str, control_number: str) -> str:
    """Every column of the table's rows for this case, as the database holds them, as text."""
    where = (
        "control_number = :n"
        if table in ("cases", "case_data_keys")
        else "case_id = (SELECT id FROM cases WHERE control_number = :n)"
    )
    async with session_factory() as session:
        rows = (
            await session.execute(
                text(f"SELECT * FROM {table} WHERE {where}"), {"n": control_number}
            )
        ).all()
    assert rows, f"no {table} row for {control_number}"
    return " ".join(str(value) for row in rows for value in row)


async def cipher(
    session_factory: SessionFactory, number: str, keyring: FieldKeyring | None = None
) -> CaseCipher:
    async with session_factory() as session:
        found = await cipher_for(session, keyring or default_keyring(), number)
    assert found is not None
    return found


async def stored_identity(session_factory: SessionFactory, number: str) -> dict[str, Any]:
    async with session_factory() as session:
        case = await session.scalar(select(Case).where(Case.control_number == number))
    assert case is not None
    identity: dict[str, Any] = case.details["identity"]
    return identity


async def test_a_new_case_stores_identity_numbers_and_birth_date_only_sealed(
    session_factory: SessionFactory, open_case: OpenCase
) -> None:
    number = await open_case(category="trusted_traveler", identity=IDENTITY)

    stored = await raw_row(session_factory, "cases", number)
    assert PASSPORT not in stored
    assert BIRTH not in stored
    assert "MX" in stored  # the country is not an identity number: kept as given
    key_row = await raw_row(session_factory, "case_data_keys", number)
    identity = await stored_identity(session_factory, number)
    assert is_sealed(identity["passport_number"])
    assert is_sealed(identity["date_of_birth"])
    opened = await cipher(session_factory, number)
    assert opened.key_id in key_row
    assert opened.unseal("identity.passport_number", identity["passport_number"]) == PASSPORT
    assert opened.unseal("identity.date_of_birth", identity["date_of_birth"]) == BIRTH


async def test_a_corrected_identity_number_is_sealed_in_the_case_and_the_amendment(
    session_factory: SessionFactory, open_case: OpenCase
) -> None:
    number = await open_case(category="trusted_traveler", identity=IDENTITY)
    corrected = "Y11112222"
    body = SubmissionCorrectedV1(
        control_number=number,
        amendment_id=uuid.uuid4().hex,
        field="identity.passport_number",
        previous_value=PASSPORT,
        new_value=corrected,
        reason="typo",
        corrected_at=datetime.now(UTC),
    )

    await SelfServiceHandler(session_factory, None)(
        make_event("ombuds/intake", SUBMISSION_CORRECTED_V1, body, number)
    )

    for table in ("cases", "amendments"):
        stored = await raw_row(session_factory, table, number)
        assert PASSPORT not in stored
        assert corrected not in stored
    opened = await cipher(session_factory, number)
    identity = await stored_identity(session_factory, number)
    assert opened.unseal("identity.passport_number", identity["passport_number"]) == corrected
    async with session_factory() as session:
        amendment = await session.scalar(
            select(Amendment).where(Amendment.amendment_id == body.amendment_id)
        )
    assert amendment is not None
    assert opened.unseal(amendment.field, amendment.previous_value) == PASSPORT
    assert opened.unseal(amendment.field, amendment.new_value) == corrected


async def test_shredding_the_data_key_makes_the_case_identity_unreadable_for_good(
    session_factory: SessionFactory, open_case: OpenCase
) -> None:
    number = await open_case(category="trusted_traveler", identity=IDENTITY)
    sealed = (await stored_identity(session_factory, number))["passport_number"]

    async with UnitOfWork(session_factory) as uow:
        assert await shred(uow.session, number)
        await uow.commit()
    async with UnitOfWork(session_factory) as uow:
        assert not await shred(uow.session, number)  # already gone

    shredded = await cipher(session_factory, number)
    assert shredded.data_key is None
    with pytest.raises(DataKeyShreddedError):
        shredded.unseal("identity.passport_number", sealed)
    async with session_factory() as session:
        row = await session.scalar(select(CaseDataKey).where(CaseDataKey.control_number == number))
        detail = await case_detail(session, number)
    assert row is not None
    assert row.wrapped_key is None
    assert row.shredded_at is not None
    assert detail.details["identity"]["passport_number"] == {
        "masked": True,
        "value": "•••••",
        "unreadable": True,
    }


async def test_rotation_rewraps_every_data_key_under_the_new_master_key(
    migrated_url: str, session_factory: SessionFactory, open_case: OpenCase
) -> None:
    number = await open_case(category="trusted_traveler", identity=IDENTITY)
    old = FieldEncryptionSettings()
    new_key = SecretStr(base64.b64encode(os.urandom(32)).decode())
    rotated = FieldEncryptionSettings(keys={**old.keys, "next": new_key}, key_id="next")
    settings = Settings(
        database_url=migrated_url, platform=unreachable_platform(), field_encryption=rotated
    )

    assert await rotate(settings) >= 1
    assert await rotate(settings) == 0  # nothing left under the old key

    async with session_factory() as session:
        row = await session.scalar(select(CaseDataKey).where(CaseDataKey.control_number == number))
    assert row is not None
    assert row.master_key_id == "next"
    assert row.rewrapped_at is not None
    only_new = FieldEncryptionSettings(keys={"next": new_key}, key_id="next").keyring()
    opened = await cipher(session_factory, number, only_new)
    identity = await stored_identity(session_factory, number)
    assert opened.unseal("identity.passport_number", identity["passport_number"]) == PASSPORT
    with pytest.raises(FieldDecryptError):  # the old master key no longer unwraps it
        await cipher(session_factory, number, old.keyring())
    # Put the development key back in charge for the other tests of this module.
    restored = Settings(
        database_url=migrated_url,
        platform=unreachable_platform(),
        field_encryption=FieldEncryptionSettings(keys={**old.keys, "next": new_key}),
    )
    assert await rotate(restored) >= 1


async def test_identity_values_stored_before_encryption_are_sealed_once(
    session_factory: SessionFactory,
) -> None:
    number = new_control_number()
    now = datetime.now(UTC)
    async with session_factory() as session:
        legacy = Case(
            control_number=number,
            kind="complaint",
            category="trusted_traveler",
            channel="web",
            anonymous=False,
            narrative="Secondary inspection again.",
            language="en",
            details={"identity": IDENTITY},
            status="received",
            received_at=now,
            opened_at=now,
            updated_at=now,
        )
        session.add(legacy)
        await session.flush()
        session.add(
            Amendment(
                case_id=legacy.id,
                amendment_id=uuid.uuid4().hex,
                field="identity.date_of_birth",
                previous_value="1980-03-01",
                new_value=BIRTH,
                corrected_at=now,
            )
        )
        await session.commit()
    assert PASSPORT in await raw_row(session_factory, "cases", number)

    assert await seal_existing(session_factory, default_keyring(), batch=2) >= 1
    assert await seal_existing(session_factory, default_keyring()) == 0

    for table in ("cases", "amendments"):
        stored = await raw_row(session_factory, table, number)
        assert PASSPORT not in stored
        assert BIRTH not in stored
        assert "1980-03-01" not in stored
    assert "MX" in await raw_row(session_factory, "cases", number)
    opened = await cipher(session_factory, number)
    identity = await stored_identity(session_factory, number)
    assert opened.unseal("identity.passport_number", identity["passport_number"]) == PASSPORT
    async with session_factory() as session:
        amendment = await session.scalar(select(Amendment).where(Amendment.case_id == legacy.id))
    assert amendment is not None
    assert opened.unseal(amendment.field, amendment.previous_value) == "1980-03-01"


async def test_instances_starting_together_give_each_old_case_one_data_key(
    migrated_url: str, session_factory: SessionFactory
) -> None:
    if not migrated_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer: instances never seal at the same time")
    now = datetime.now(UTC)
    numbers = [new_control_number() for _ in range(30)]
    async with session_factory() as session:
        for number in numbers:
            session.add(
                Case(
                    control_number=number,
                    kind="tip",
                    category="border_patrol",
                    channel="web",
                    anonymous=False,
                    narrative="Old case.",
                    language="en",
                    details={"identity": {"alien_registration_number": "A123456789"}},
                    status="received",
                    received_at=now,
                    opened_at=now,
                    updated_at=now,
                )
            )
        await session.commit()

    sealed = await asyncio.gather(
        *(seal_existing(session_factory, default_keyring(), batch=4) for _ in range(3))
    )

    assert sum(sealed) == len(numbers)
    async with session_factory() as session:
        keys = await session.scalars(
            select(CaseDataKey.control_number).where(CaseDataKey.control_number.in_(numbers))
        )
        assert sorted(keys.all()) == sorted(numbers)
