"""the queue's full text from one stored tsvector per case (narrative and notes), GIN-indexed

Revision ID: 0010_queue_tsvector
Revises: 0009_disclosures
Create Date: 2026-11-23

PostgreSQL only (SQLite searches with LIKE and stores nothing). `cases.search_vector` holds
`to_tsvector('english', ...)` of the narrative and of every note of the case, kept current on
write by triggers (a generated column cannot read the notes table). Against 0008's two GIN
expression indexes joined by UNION, a search is one condition on one table: a page walks the
primary key newest first and tests a stored value, instead of gathering every match of both
tables and recomputing vectors on recheck.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_queue_tsvector"
down_revision: str | None = "0010_information_requests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What 0008_queue_search built, dropped here and restored on the way down.
_EXPRESSION_INDEXES = {
    "ix_cases_narrative_fts": ("cases", "narrative"),
    "ix_case_notes_text_fts": ("case_notes", "text"),
}

# The case's vector from its narrative and its notes (in the order they were written).
_VECTOR_FUNCTION = """
CREATE FUNCTION cases_search_vector(case_id bigint, narrative text) RETURNS tsvector
LANGUAGE sql STABLE AS $$
    SELECT to_tsvector('english', coalesce(narrative, '')) || coalesce(
        (SELECT to_tsvector('english', string_agg(n.text, ' ' ORDER BY n.id))
         FROM case_notes n WHERE n.case_id = cases_search_vector.case_id),
        ''::tsvector)
$$
"""
# A case written with a new narrative (or inserted) gets its vector before the row is stored.
_CASE_TRIGGER_FUNCTION = """
CREATE FUNCTION cases_search_vector_on_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector := cases_search_vector(NEW.id, NEW.narrative);
    RETURN NEW;
END
$$
"""
# A note added, edited, moved or deleted recomputes its case's vector (both cases on a move).
_NOTE_TRIGGER_FUNCTION = """
CREATE FUNCTION cases_search_vector_on_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE cases SET search_vector = cases_search_vector(id, narrative)
        WHERE id = OLD.case_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE cases SET search_vector = cases_search_vector(id, narrative)
        WHERE id = NEW.case_id;
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in _EXPRESSION_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute("ALTER TABLE cases ADD COLUMN search_vector tsvector")
    op.execute(_VECTOR_FUNCTION)
    op.execute(_CASE_TRIGGER_FUNCTION)
    op.execute(_NOTE_TRIGGER_FUNCTION)
    op.execute(
        "CREATE TRIGGER cases_search_vector BEFORE INSERT OR UPDATE OF narrative ON cases "
        "FOR EACH ROW EXECUTE FUNCTION cases_search_vector_on_case()"
    )
    op.execute(
        "CREATE TRIGGER case_notes_search_vector "
        "AFTER INSERT OR UPDATE OF text, case_id OR DELETE ON case_notes "
        "FOR EACH ROW EXECUTE FUNCTION cases_search_vector_on_note()"
    )
    # Cases already there: their vectors, once.
    op.execute("UPDATE cases SET search_vector = cases_search_vector(id, narrative)")
    op.execute("CREATE INDEX ix_cases_search_vector ON cases USING gin (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS case_notes_search_vector ON case_notes")
    op.execute("DROP TRIGGER IF EXISTS cases_search_vector ON cases")
    op.execute("DROP FUNCTION IF EXISTS cases_search_vector_on_note()")
    op.execute("DROP FUNCTION IF EXISTS cases_search_vector_on_case()")
    op.execute("DROP FUNCTION IF EXISTS cases_search_vector(bigint, text)")
    op.execute("DROP INDEX IF EXISTS ix_cases_search_vector")
    op.execute("ALTER TABLE cases DROP COLUMN search_vector")
    for name, (table, column) in _EXPRESSION_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {table} USING gin (to_tsvector('english', {column}))")
