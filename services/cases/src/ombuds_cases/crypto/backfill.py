"""Sealing what was stored in plaintext before field encryption: run at start-up, idempotent.

A case without a data key row was opened before encryption (every case opened since gets its
key in the same transaction), so the row's absence is what marks the work left to do.
"""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_cases.case.records import Amendment
from ombuds_cases.crypto.identity import is_sensitive, seal_details, seal_value
from ombuds_cases.crypto.keyring import FieldKeyring
from ombuds_cases.crypto.keys import new_data_key
from ombuds_cases.crypto.models import CaseDataKey
from ombuds_cases.models import Case
from ombuds_shared.db import UnitOfWork


async def _seal_batch(session: AsyncSession, keyring: FieldKeyring, batch: int) -> int:
    query = (
        select(Case)
        .outerjoin(CaseDataKey, CaseDataKey.control_number == Case.control_number)
        .where(CaseDataKey.id.is_(None))
        .order_by(Case.id)
        .limit(batch)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Several instances starting together each take cases the others have not locked,
        # instead of all giving the same case a data key and failing on the unique key.
        query = query.with_for_update(of=Case, skip_locked=True)
    cases = (await session.scalars(query)).all()
    for case in cases:
        cipher = new_data_key(session, keyring, case.control_number)
        case.details = seal_details(cipher, case.details or {})
        amendments = await session.scalars(select(Amendment).where(Amendment.case_id == case.id))
        for amendment in amendments:
            if is_sensitive(amendment.field):
                amendment.previous_value = seal_value(
                    cipher, amendment.field, amendment.previous_value
                )
                amendment.new_value = seal_value(cipher, amendment.field, amendment.new_value)
    return len(cases)


async def seal_existing(
    session_factory: async_sessionmaker[AsyncSession], keyring: FieldKeyring, batch: int = 200
) -> int:
    """Give every case opened before encryption a data key and seal its identity values."""
    total = 0
    while True:
        async with UnitOfWork(session_factory) as uow:
            done = await _seal_batch(uow.session, keyring, batch)
            await uow.commit()
        total += done
        if done < batch:
            return total
