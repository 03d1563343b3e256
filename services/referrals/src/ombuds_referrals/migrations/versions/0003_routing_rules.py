"""routing rules (seeded from the PIA) and the staff's decisions on their suggestions

Revision ID: 0003_routing_rules
Revises: 0002_directory_and_referrals
Create Date: 2026-11-23

"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003_routing_rules"
down_revision: str | Sequence[str] | None = "0002_directory_and_referrals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (id, priority, recipient, kinds, categories, keywords in English and Spanish, why).
# The PIA's routes (Overview, 3.3, 6.1-6.4): the most urgent and most specific first, so a
# credible threat goes to the FBI even when it is also a tip, and a visa matter to State even
# when it is also a complaint. Keywords match whole words, ignoring case and accents.
SEED: list[tuple[str, int, str, list[str], list[str], list[str], str]] = [
    (
        "credible-threat",
        10,
        "fbi",
        [],
        [],
        [
            "credible threat",
            "bomb",
            "explosive",
            "terrorist",
            "terrorism",
            "attack",
            "shooting",
            "kill",
            "amenaza creible",
            "bomba",
            "explosivo",
            "terrorista",
            "terrorismo",
            "atentado",
            "ataque",
            "tiroteo",
            "matar",
        ],
        "a credible threat goes to the FBI",
    ),
    (
        "visa-passport",
        20,
        "state",
        [],
        [],
        ["visa", "visas", "passport", "passports", "visado", "pasaporte", "pasaportes"],
        "visa and passport matters belong to the Department of State",
    ),
    (
        "civil-liberties",
        30,
        "crcl",
        ["complaint"],
        [],
        [
            "civil rights",
            "civil liberties",
            "discrimination",
            "discriminated",
            "racial profiling",
            "profiled",
            "religion",
            "religious",
            "derechos civiles",
            "libertades civiles",
            "discriminacion",
            "discriminado",
            "discriminada",
            "perfil racial",
            "religion",
            "religiosa",
            "religioso",
        ],
        "civil rights and civil liberties complaints go to CRCL",
    ),
    (
        "employee-misconduct",
        40,
        "professional-responsibility",
        ["complaint"],
        [],
        [
            "misconduct",
            "bribe",
            "bribery",
            "corruption",
            "corrupt",
            "harassment",
            "harassed",
            "excessive force",
            "stole",
            "theft",
            "mala conducta",
            "soborno",
            "corrupcion",
            "corrupto",
            "acoso",
            "fuerza excesiva",
            "robo",
        ],
        "employee misconduct complaints go to the Office of Professional Responsibility",
    ),
    (
        "tip-violation-or-threat",
        50,
        "ice-hsi-tip-line",
        ["tip"],
        [],
        [
            "smuggling",
            "smuggler",
            "trafficking",
            "illegal",
            "violation",
            "fraud",
            "threat",
            "contrabando",
            "trafico",
            "trata",
            "ilegal",
            "violacion",
            "fraude",
            "amenaza",
        ],
        "a tip about a violation of law or a threat goes to the ICE HSI tip line",
    ),
    (
        "port-of-entry",
        60,
        "field-operations",
        ["complaint"],
        [],
        [
            "port of entry",
            "ports of entry",
            "border crossing",
            "airport",
            "secondary inspection",
            "inspection",
            "customs",
            "puerto de entrada",
            "puertos de entrada",
            "cruce fronterizo",
            "aeropuerto",
            "inspeccion secundaria",
            "inspeccion",
            "aduana",
        ],
        "port-of-entry complaints go to the Office of Field Operations",
    ),
]


def upgrade() -> None:
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("recipient_id", sa.String(length=64), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["recipient_id"], ["directory_entries.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("routing_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_routing_rules_priority"), ["priority"], unique=False)
    op.create_table(
        "routing_decisions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("control_number", sa.String(length=32), nullable=False),
        sa.Column("suggested_rule_id", sa.String(length=64), nullable=True),
        sa.Column("suggested_recipient_id", sa.String(length=64), nullable=True),
        sa.Column("chosen_recipient_id", sa.String(length=64), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["chosen_recipient_id"], ["directory_entries.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("routing_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_routing_decisions_control_number"), ["control_number"], unique=False
        )

    seeded_at = datetime(2026, 11, 23, tzinfo=UTC)
    op.bulk_insert(
        sa.table(
            "routing_rules",
            sa.column("id", sa.String),
            sa.column("priority", sa.Integer),
            sa.column("description", sa.Text),
            sa.column("kinds", sa.JSON),
            sa.column("categories", sa.JSON),
            sa.column("keywords", sa.JSON),
            sa.column("recipient_id", sa.String),
            sa.column("disabled", sa.Boolean),
            sa.column("created_at", sa.DateTime(timezone=True)),
            sa.column("updated_at", sa.DateTime(timezone=True)),
        ),
        [
            {
                "id": rule_id,
                "priority": priority,
                "description": description,
                "kinds": kinds,
                "categories": categories,
                "keywords": keywords,
                "recipient_id": recipient,
                "disabled": False,
                "created_at": seeded_at,
                "updated_at": seeded_at,
            }
            for rule_id, priority, recipient, kinds, categories, keywords, description in SEED
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("routing_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routing_decisions_control_number"))
    op.drop_table("routing_decisions")
    with op.batch_alter_table("routing_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routing_rules_priority"))
    op.drop_table("routing_rules")
