"""question paths: form version, topic and the path's other sections

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("form_version", sa.String(32), nullable=True))
        batch.add_column(sa.Column("topic", sa.String(64), nullable=True))
        batch.add_column(sa.Column("details", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("details")
        batch.drop_column("topic")
        batch.drop_column("form_version")
