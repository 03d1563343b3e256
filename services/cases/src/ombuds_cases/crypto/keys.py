"""Case data keys: create one with a case, open it to seal or unseal, rotate, shred."""

import os
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases.crypto.keyring import (
    DATA_KEY_BYTES,
    FieldDecryptError,
    FieldKeyring,
    seal,
    token_key_id,
    unseal,
)
from ombuds_cases.crypto.models import CaseDataKey
from ombuds_shared.db import utcnow


class DataKeyShreddedError(FieldDecryptError):
    """The case's data key was destroyed: its sealed values are gone for good."""


@dataclass(frozen=True)
class CaseCipher:
    """One case's data key, unwrapped, bound to its control number (None once shredded)."""

    control_number: str
    key_id: str
    data_key: bytes | None

    def seal(self, field: str, value: Any) -> str:
        if self.data_key is None:
            raise DataKeyShreddedError(f"the data key of {self.control_number} was destroyed")
        return seal(self.data_key, self.key_id, self.control_number, field, value)

    def unseal(self, field: str, token: str) -> Any:
        if self.data_key is None:
            raise DataKeyShreddedError(f"the data key of {self.control_number} was destroyed")
        if token_key_id(token) != self.key_id:
            raise FieldDecryptError(f"{field} was sealed with another data key")
        return unseal(self.data_key, self.control_number, field, token)


def new_data_key(session: AsyncSession, keyring: FieldKeyring, control_number: str) -> CaseCipher:
    """Stage a fresh random data key for a new case, wrapped under the current master key."""
    data_key = os.urandom(DATA_KEY_BYTES)
    key_id = secrets.token_hex(8)
    master_key_id, wrapped = keyring.wrap(data_key, control_number, key_id)
    session.add(
        CaseDataKey(
            control_number=control_number,
            key_id=key_id,
            master_key_id=master_key_id,
            wrapped_key=wrapped,
            created_at=utcnow(),
        )
    )
    return CaseCipher(control_number, key_id, data_key)


async def _row(session: AsyncSession, control_number: str) -> CaseDataKey | None:
    row: CaseDataKey | None = await session.scalar(
        select(CaseDataKey).where(CaseDataKey.control_number == control_number)
    )
    return row


def _opened(keyring: FieldKeyring, row: CaseDataKey) -> CaseCipher:
    if row.wrapped_key is None or row.master_key_id is None:
        return CaseCipher(row.control_number, row.key_id, None)
    data_key = keyring.unwrap(row.master_key_id, row.wrapped_key, row.control_number, row.key_id)
    return CaseCipher(row.control_number, row.key_id, data_key)


async def cipher_for(
    session: AsyncSession, keyring: FieldKeyring, control_number: str, create: bool = False
) -> CaseCipher | None:
    """The case's cipher; with `create`, a case that has none yet gets one (staged)."""
    row = await _row(session, control_number)
    if row is None:
        return new_data_key(session, keyring, control_number) if create else None
    return _opened(keyring, row)


async def shred(session: AsyncSession, control_number: str) -> bool:
    """Destroy the case's data key (staged); False if it had none or it is already gone."""
    row = await _row(session, control_number)
    if row is None or row.wrapped_key is None:
        return False
    row.wrapped_key = None
    row.master_key_id = None
    row.shredded_at = utcnow()
    return True


async def rewrap(session: AsyncSession, keyring: FieldKeyring, batch: int = 500) -> int:
    """Re-wrap up to `batch` data keys still under an older master key; how many were."""
    rows = (
        await session.scalars(
            select(CaseDataKey)
            .where(
                CaseDataKey.wrapped_key.is_not(None),
                CaseDataKey.master_key_id != keyring.current_id,
            )
            .order_by(CaseDataKey.id)
            .limit(batch)
        )
    ).all()
    now = utcnow()
    for row in rows:
        data_key = _opened(keyring, row).data_key
        assert data_key is not None  # filtered: the key is not shredded
        row.master_key_id, row.wrapped_key = keyring.wrap(data_key, row.control_number, row.key_id)
        row.rewrapped_at = now
    return len(rows)
