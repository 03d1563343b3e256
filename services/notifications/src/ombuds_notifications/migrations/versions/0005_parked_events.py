"""parked events: case events that came before the case's contact copy, replayed when it comes

Revision ID: 0005_parked_events
Revises: 0004_outbox_by_case
Create Date: 2026-11-23

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_parked_events"
down_revision: str | Sequence[str] | None = "0004_outbox_by_case"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "parked_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("control_number", sa.String(length=32), nullable=False),
        sa.Column("event", sa.JSON(), nullable=False),
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index(
        "ix_parked_events_control_number", "parked_events", ["control_number"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_parked_events_control_number", table_name="parked_events")
    op.drop_table("parked_events")
