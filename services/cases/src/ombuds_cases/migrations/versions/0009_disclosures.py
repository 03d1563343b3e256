"""the accounting of disclosures (5 U.S.C. 552a(c), Form DHS-191), free of foreign keys so
that it outlives the purge of the cases it names

Revision ID: 0009_disclosures
Revises: 0008_queue_search
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_disclosures"
down_revision: str | None = "0008_queue_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_big_int = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_INDEXED = ("control_number", "subject_name_key", "subject_email", "disclosed_at", "retain_until")


def upgrade() -> None:
    op.create_table(
        "disclosures",
        sa.Column("id", _big_int, autoincrement=True, nullable=False),
        sa.Column("source_key", sa.String(100), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("control_number", sa.String(32), nullable=False),
        sa.Column("subject_name", sa.String(201), nullable=True),
        sa.Column("subject_name_key", sa.String(201), nullable=True),
        sa.Column("subject_email", sa.String(320), nullable=True),
        sa.Column("disclosed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("nature", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("recipient_name", sa.String(200), nullable=False),
        sa.Column("recipient_address", sa.Text(), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("disclosed_by", sa.String(200), nullable=False),
        sa.Column("retain_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_key"),
    )
    for column in _INDEXED:
        op.create_index(f"ix_disclosures_{column}", "disclosures", [column])


def downgrade() -> None:
    for column in _INDEXED:
        op.drop_index(f"ix_disclosures_{column}", table_name="disclosures")
    op.drop_table("disclosures")
