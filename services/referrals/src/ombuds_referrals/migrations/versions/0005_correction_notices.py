"""correction notices: earlier recipients told of an accepted correction (552a(c)(4))

Revision ID: 0005_correction_notices
Revises: 0004_outbox_by_case
Create Date: 2026-11-23

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_correction_notices"
down_revision: str | Sequence[str] | None = "0004_outbox_by_case"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "correction_notices",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("control_number", sa.String(32), nullable=False, index=True),
        sa.Column("amendment_id", sa.String(64), nullable=False),
        sa.Column(
            "recipient_id", sa.String(64), sa.ForeignKey("directory_entries.id"), nullable=False
        ),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_correction_notices_due", "correction_notices", ["status", "next_attempt_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_correction_notices_due", table_name="correction_notices")
    op.drop_table("correction_notices")
