"""per-case data keys for field-level encryption of identity numbers and dates of birth

The identity values already stored in plaintext are sealed by the service at start-up
(`ombuds_cases.crypto.backfill`), which holds the master keys a migration should not read.

Revision ID: 0007_case_data_keys
Revises: 0004_staff_accounts
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_case_data_keys"
down_revision: str | None = "0004_staff_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_big_int = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "case_data_keys",
        sa.Column("id", _big_int, autoincrement=True, nullable=False),
        sa.Column("control_number", sa.String(32), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("master_key_id", sa.String(64), nullable=True),
        sa.Column("wrapped_key", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rewrapped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shredded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("control_number"),
    )
    op.create_index("ix_case_data_keys_master_key_id", "case_data_keys", ["master_key_id"])


def downgrade() -> None:
    op.drop_index("ix_case_data_keys_master_key_id", table_name="case_data_keys")
    op.drop_table("case_data_keys")
