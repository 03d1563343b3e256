"""question paths: form version, topic, accuracy certification

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
    with op.batch_alter_table("submissions") as batch:
        # Submissions taken before versioned paths were asked the first, unversioned form.
        batch.add_column(
            sa.Column("form_version", sa.String(32), nullable=False, server_default="2026-11-01")
        )
        batch.add_column(sa.Column("topic", sa.String(64), nullable=True))
        batch.add_column(
            sa.Column("accuracy_certified_at", sa.DateTime(timezone=True), nullable=True)
        )
        # Staff-entered channels show no online Privacy Act Statement (PIA 4.3).
        batch.alter_column(
            "privacy_act_acknowledged_at",
            existing_type=sa.DateTime(timezone=True),
            nullable=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.alter_column(
            "privacy_act_acknowledged_at",
            existing_type=sa.DateTime(timezone=True),
            nullable=False,
        )
        batch.drop_column("accuracy_certified_at")
        batch.drop_column("topic")
        batch.drop_column("form_version")
