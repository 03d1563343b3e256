"""a supplement may answer a staff request for information

Revision ID: 0007_supplement_replies
Revises: 0006_accounts
Create Date: 2026-11-23

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_supplement_replies"
down_revision: str | None = "0007_outbox_by_case"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("supplements") as batch:
        batch.add_column(sa.Column("reply_to_request", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("supplements") as batch:
        batch.drop_column("reply_to_request")
