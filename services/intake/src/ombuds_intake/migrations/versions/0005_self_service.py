"""self-service: amendments, supplements and withdrawals by control number

Revision ID: 0005_self_service
Revises: 0004
Create Date: 2026-11-23

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_self_service"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "amendments",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("amendment_id", sa.String(length=32), nullable=False),
        sa.Column("control_number", sa.String(length=32), nullable=False),
        sa.Column("field", sa.String(length=200), nullable=False),
        sa.Column("previous_value", sa.JSON(), nullable=True),
        sa.Column("new_value", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("amended_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("amendment_id"),
    )
    op.create_index("ix_amendments_control_number", "amendments", ["control_number"])
    op.create_table(
        "supplements",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("supplement_id", sa.String(length=32), nullable=False),
        sa.Column("control_number", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("supplemented_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("supplement_id"),
    )
    op.create_index("ix_supplements_control_number", "supplements", ["control_number"])
    op.create_table(
        "withdrawals",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("control_number", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("control_number"),
    )


def downgrade() -> None:
    op.drop_table("withdrawals")
    op.drop_index("ix_supplements_control_number", table_name="supplements")
    op.drop_table("supplements")
    op.drop_index("ix_amendments_control_number", table_name="amendments")
    op.drop_table("amendments")
