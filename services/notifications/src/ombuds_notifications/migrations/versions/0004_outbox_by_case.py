"""outbox by case: the retention purge finds a case's outbox events without a full scan

Revision ID: 0004_outbox_by_case
Revises: 0003_lifecycle_messages
Create Date: 2026-11-23

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_outbox_by_case"
down_revision: str | Sequence[str] | None = "0003_lifecycle_messages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_outbox_message_key", "outbox", ["message_key"])


def downgrade() -> None:
    op.drop_index("ix_outbox_message_key", table_name="outbox")
