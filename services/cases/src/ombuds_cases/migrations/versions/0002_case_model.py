"""case model: office, assignee, priority, tags, disposition; timeline, notes, links,
source pointers, supplements, amendments and the pending-signal outbox

Revision ID: 0002_case_model
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_case_model"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def _child(name: str, *columns: sa.Column[object], unique: tuple[str, ...] = ()) -> None:
    """A table that belongs to one case."""
    constraints: list[sa.schema.SchemaItem] = [
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    ]
    if unique:
        constraints.append(sa.UniqueConstraint(*unique))
    op.create_table(
        name,
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        *columns,
        *constraints,
    )
    op.create_index(f"ix_{name}_case_id", name, ["case_id"])


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("office", sa.String(64), nullable=True))
        batch.add_column(sa.Column("assignee", sa.String(200), nullable=True))
        batch.add_column(
            sa.Column("priority", sa.String(16), nullable=False, server_default="normal")
        )
        batch.add_column(sa.Column("tags", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("findings", sa.Text(), nullable=True))
        batch.add_column(sa.Column("recommendations", sa.Text(), nullable=True))
        batch.add_column(sa.Column("disposition", sa.String(64), nullable=True))
        batch.add_column(sa.Column("closed_at", WHEN, nullable=True))
        batch.create_index("ix_cases_office", ["office"])
        batch.create_index("ix_cases_assignee", ["assignee"])
        batch.create_index("ix_cases_channel", ["channel"])
        batch.create_index("ix_cases_received_at", ["received_at"])

    _child(
        "timeline_entries",
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("occurred_at", WHEN, nullable=False),
    )
    _child(
        "case_notes",
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
    )
    _child(
        "case_links",
        sa.Column("linked_control_number", sa.String(32), nullable=False),
        sa.Column("relation", sa.String(32), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        unique=("case_id", "linked_control_number", "relation"),
    )
    _child(
        "source_pointers",
        sa.Column("system", sa.String(64), nullable=False),
        sa.Column("reference_id", sa.String(200), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        unique=("case_id", "system", "reference_id"),
    )
    _child(
        "supplements",
        sa.Column("supplement_id", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("supplemented_at", WHEN, nullable=False),
        unique=("supplement_id",),
    )
    _child(
        "amendments",
        sa.Column("amendment_id", sa.String(64), nullable=False),
        sa.Column("field", sa.String(200), nullable=False),
        sa.Column("previous_value", sa.JSON(), nullable=True),
        sa.Column("new_value", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("corrected_at", WHEN, nullable=False),
        unique=("amendment_id",),
    )
    op.create_table(
        "pending_signals",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("control_number", sa.String(32), nullable=False),
        sa.Column("signal", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("sent_at", WHEN, nullable=True),
        sa.Column("outcome", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pending_signals_control_number", "pending_signals", ["control_number"])
    op.create_index("ix_pending_signals_sent_at", "pending_signals", ["sent_at"])


def downgrade() -> None:
    op.drop_table("pending_signals")
    for name in (
        "amendments",
        "supplements",
        "source_pointers",
        "case_links",
        "case_notes",
        "timeline_entries",
    ):
        op.drop_table(name)
    with op.batch_alter_table("cases") as batch:
        for index in ("received_at", "channel", "assignee", "office"):
            batch.drop_index(f"ix_cases_{index}")
        for column in (
            "closed_at",
            "disposition",
            "recommendations",
            "findings",
            "tags",
            "priority",
            "assignee",
            "office",
        ):
            batch.drop_column(column)
