"""staff accounts pinned to their OpenID Connect subject

Revision ID: 0011_staff_oidc
Revises: 0010_case_referrals
Create Date: 2026-11-23

`staff_accounts.oidc_subject` is the issuer's `sub` for the account, set at its first OpenID
Connect sign-in (matched then by verified email) and matched on alone afterwards. Unique through
an index: SQLite cannot add a UNIQUE column with ALTER TABLE, and NULLs do not collide.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_staff_oidc"
down_revision: str | None = "0011_disclosure_basis"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("staff_accounts", sa.Column("oidc_subject", sa.String(255), nullable=True))
    op.create_index(
        "ix_staff_accounts_oidc_subject", "staff_accounts", ["oidc_subject"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ix_staff_accounts_oidc_subject", table_name="staff_accounts")
    # A plain DROP COLUMN (SQLite 3.35+), as 0008 does: batch mode would copy the table.
    op.drop_column("staff_accounts", "oidc_subject")
