"""the five-year purge: the archive record of non-personal figures, cases.archived_at, and
an index to find a case's outbox events

Revision ID: 0010_case_archives
Revises: 0009_disclosures
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_case_archives"
down_revision: str | None = "0009_disclosures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_big_int = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_INDEXED = ("kind", "category", "office", "received_month")


def upgrade() -> None:
    op.create_index("ix_outbox_message_key", "outbox", ["message_key"])
    op.add_column("cases", sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "case_archives",
        sa.Column("id", _big_int, autoincrement=True, nullable=False),
        sa.Column("control_number", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("topic", sa.String(64), nullable=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("office", sa.String(64), nullable=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("final_status", sa.String(32), nullable=False),
        sa.Column("disposition", sa.String(64), nullable=True),
        sa.Column("received_month", sa.Date(), nullable=False),
        sa.Column("closed_month", sa.Date(), nullable=True),
        sa.Column("days_to_close", sa.Integer(), nullable=True),
        sa.Column("note_count", sa.Integer(), nullable=False),
        sa.Column("referral_count", sa.Integer(), nullable=False),
        sa.Column("supplement_count", sa.Integer(), nullable=False),
        sa.Column("amendment_count", sa.Integer(), nullable=False),
        sa.Column("disclosure_count", sa.Integer(), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("control_number"),
    )
    for column in _INDEXED:
        op.create_index(f"ix_case_archives_{column}", "case_archives", [column])


def downgrade() -> None:
    for column in _INDEXED:
        op.drop_index(f"ix_case_archives_{column}", table_name="case_archives")
    op.drop_table("case_archives")
    # A plain DROP COLUMN (SQLite 3.35+), as 0008 does: batch mode would copy `cases`.
    op.drop_column("cases", "archived_at")
    op.drop_index("ix_outbox_message_key", table_name="outbox")
