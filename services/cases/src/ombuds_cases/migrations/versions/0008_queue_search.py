"""the queue: case due dates, sort and filter indexes, full-text indexes, saved views

Revision ID: 0008_queue_search
Revises: 0007_case_data_keys
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_queue_search"
down_revision: str | None = "0007_case_data_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_big_int = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Cases opened before due dates existed get the complaint default (21 calendar days).
_BACKFILL_DAYS = 21
# Expression indexes only PostgreSQL has; repository queries repeat these expressions exactly.
_FULL_TEXT_INDEXES = {
    "ix_cases_narrative_fts": ("cases", "narrative"),
    "ix_case_notes_text_fts": ("case_notes", "text"),
}


def upgrade() -> None:
    op.add_column("cases", sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"UPDATE cases SET due_at = received_at + interval '{_BACKFILL_DAYS} days'")
        for name, (table, column) in _FULL_TEXT_INDEXES.items():
            op.execute(
                f"CREATE INDEX {name} ON {table} USING gin (to_tsvector('english', {column}))"
            )
    else:
        op.execute(f"UPDATE cases SET due_at = datetime(received_at, '+{_BACKFILL_DAYS} days')")
    op.create_index("ix_cases_due_at", "cases", ["due_at"])
    op.create_index("ix_cases_updated_at", "cases", ["updated_at"])
    op.create_index("ix_cases_office_status_id", "cases", ["office", "status", "id"])
    op.create_table(
        "saved_views",
        sa.Column("id", _big_int, autoincrement=True, nullable=False),
        sa.Column("owner_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("query", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("owner_id", "name"),
    )
    op.create_index("ix_saved_views_owner_id", "saved_views", ["owner_id"])


def downgrade() -> None:
    op.drop_index("ix_saved_views_owner_id", table_name="saved_views")
    op.drop_table("saved_views")
    op.drop_index("ix_cases_office_status_id", table_name="cases")
    op.drop_index("ix_cases_updated_at", table_name="cases")
    op.drop_index("ix_cases_due_at", table_name="cases")
    if op.get_bind().dialect.name == "postgresql":
        for name in _FULL_TEXT_INDEXES:
            op.drop_index(name)
    # A plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): batch mode would copy and drop
    # `cases`, which the other tables' foreign keys refuse once cases exist.
    op.drop_column("cases", "due_at")
