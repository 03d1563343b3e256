"""the basis of each disclosure: need to know inside DHS (552a(b)(1)), a routine use outside
it (552a(b)(3)), or the manual entry, release or correction notice it came from

Revision ID: 0011_disclosure_basis
Revises: 0010_case_referrals
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_disclosure_basis"
down_revision: str | None = "0010_retention_records"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("disclosures") as batch:
        batch.add_column(sa.Column("basis", sa.String(32), nullable=True))
    # Until now only referrals outside DHS were accounted, so every referral row is a routine
    # use; the other sources are their own basis.
    op.execute(
        "UPDATE disclosures SET basis = CASE WHEN source = 'referral' "
        "THEN 'b3_routine_use' ELSE source END"
    )
    with op.batch_alter_table("disclosures") as batch:
        batch.alter_column("basis", existing_type=sa.String(32), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("disclosures") as batch:
        batch.drop_column("basis")
