"""retention records: the schedule projection, legal holds and deletion certificates

Revision ID: 0010_retention_records
Revises: 0009_disclosures
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_retention_records"
down_revision: str | None = "0010_case_referrals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_big_int = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_when = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "retention_schedules",
        sa.Column("control_number", sa.String(32), nullable=False),
        sa.Column("closed_at", _when, nullable=False),
        sa.Column("due_at", _when, nullable=False),
        sa.Column("period_years", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("certificate_id", sa.String(36), nullable=True),
        sa.Column("updated_at", _when, nullable=False),
        sa.PrimaryKeyConstraint("control_number"),
    )
    op.create_index("ix_retention_schedules_due_at", "retention_schedules", ["due_at"])
    op.create_index("ix_retention_schedules_state", "retention_schedules", ["state"])
    op.create_table(
        "retention_holds",
        sa.Column("id", _big_int, autoincrement=True, nullable=False),
        sa.Column("control_number", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by", sa.String(200), nullable=False),
        sa.Column("placed_at", _when, nullable=False),
        sa.Column("lifted_by", sa.String(200), nullable=True),
        sa.Column("lifted_at", _when, nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_retention_holds_control_number", "retention_holds", ["control_number"])
    op.create_table(
        "deletion_certificates",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("control_number", sa.String(32), nullable=False),
        sa.Column("issued_at", _when, nullable=False),
        sa.Column("manifests", sa.JSON(), nullable=False),
        sa.Column("due_at", _when, nullable=True),
        sa.Column("holds", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("control_number"),
    )
    op.create_index("ix_deletion_certificates_issued_at", "deletion_certificates", ["issued_at"])


def downgrade() -> None:
    op.drop_index("ix_deletion_certificates_issued_at", table_name="deletion_certificates")
    op.drop_table("deletion_certificates")
    op.drop_index("ix_retention_holds_control_number", table_name="retention_holds")
    op.drop_table("retention_holds")
    op.drop_index("ix_retention_schedules_state", table_name="retention_schedules")
    op.drop_index("ix_retention_schedules_due_at", table_name="retention_schedules")
    op.drop_table("retention_schedules")
