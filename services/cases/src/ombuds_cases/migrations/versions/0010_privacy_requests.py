"""Privacy Act and FOIA requests: the blind person index, requests, the cases selected for
them, redactions, releases and amendment requests

Revision ID: 0010_privacy_requests
Revises: 0009_disclosures
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_privacy_requests"
down_revision: str | None = "0010_case_archives"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_big_int = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _request_key() -> sa.Column[int]:
    return sa.Column(
        "request_id", _big_int, sa.ForeignKey("privacy_requests.id"), nullable=False, index=True
    )


def upgrade() -> None:
    op.create_table(
        "person_index",
        sa.Column("id", _big_int, primary_key=True, autoincrement=True),
        sa.Column("control_number", sa.String(32), nullable=False, index=True),
        sa.Column("term", sa.String(16), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False, index=True),
        sa.UniqueConstraint("control_number", "term", "digest"),
    )
    op.create_table(
        "privacy_requests",
        sa.Column("id", _big_int, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False, index=True),
        sa.Column("requester_name", sa.String(201), nullable=False),
        sa.Column("requester_email", sa.String(320), nullable=True),
        sa.Column("requester_address", sa.Text(), nullable=False),
        sa.Column("identity_verification", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        _when("created_at"),
    )
    op.create_table(
        "privacy_request_cases",
        sa.Column("id", _big_int, primary_key=True, autoincrement=True),
        _request_key(),
        sa.Column("control_number", sa.String(32), nullable=False),
        sa.Column("selected_by", sa.String(200), nullable=False),
        _when("selected_at"),
        sa.UniqueConstraint("request_id", "control_number"),
    )
    op.create_table(
        "privacy_redactions",
        sa.Column("id", _big_int, primary_key=True, autoincrement=True),
        _request_key(),
        sa.Column("control_number", sa.String(32), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("span", sa.Text(), nullable=True),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        _when("created_at"),
    )
    op.create_table(
        "privacy_releases",
        sa.Column("id", _big_int, primary_key=True, autoincrement=True),
        _request_key(),
        sa.Column("control_numbers", sa.JSON(), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("released_by", sa.String(200), nullable=False),
        _when("released_at"),
    )
    op.create_table(
        "privacy_amendment_requests",
        sa.Column("id", _big_int, primary_key=True, autoincrement=True),
        sa.Column("control_number", sa.String(32), nullable=False, index=True),
        sa.Column("requester_name", sa.String(201), nullable=False),
        sa.Column("field", sa.String(200), nullable=False),
        sa.Column("requested_value", sa.JSON(), nullable=True),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("acknowledge_by", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        _when("decided_at", nullable=True),
        sa.Column("amendment_id", sa.String(64), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        _when("created_at"),
    )


def downgrade() -> None:
    for table in (
        "privacy_amendment_requests",
        "privacy_releases",
        "privacy_redactions",
        "privacy_request_cases",
        "privacy_requests",
        "person_index",
    ):
        op.drop_table(table)
