"""Full-text search over case narratives and staff notes.

PostgreSQL: `websearch_to_tsquery` against `to_tsvector('english', ...)` expressions that GIN
indexes cover (migration 0008_queue_search), so stemming applies ("waited" finds "waiting")
and the query language is the web-search one ("quoted phrase", or, -not).
SQLite: a LIKE fallback with no index: every word of the query must appear, case-insensitively
and as a substring, in the narrative or in one note. No stemming, no operators.
"""

import re

from sqlalchemy import ColumnElement, Select, and_, literal_column, select, union
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.expression import func

from ombuds_cases.case.records import Note
from ombuds_cases.models import Case

# A literal, not a bound parameter: the planner only uses an expression index whose
# expression matches the query's text exactly.
_CONFIG: ColumnElement[str] = literal_column("'english'")
_WORD = re.compile(r"\w+")


def _tsvector_match(column: InstrumentedAttribute[str], query: str) -> ColumnElement[bool]:
    return func.to_tsvector(_CONFIG, column).op("@@")(func.websearch_to_tsquery(_CONFIG, query))


def _like_all(column: InstrumentedAttribute[str], words: list[str]) -> ColumnElement[bool]:
    def escaped(word: str) -> str:
        return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

    return and_(
        *(func.lower(column).like(f"%{escaped(word.lower())}%", escape="\\") for word in words)
    )


def matching_case_ids(query: str, dialect: str) -> Select[int]:
    """Ids of cases whose narrative, or one of whose notes, matches `query`."""
    if dialect == "postgresql":
        narrative = _tsvector_match(Case.narrative, query)
        note = _tsvector_match(Note.text, query)
    else:
        words = _WORD.findall(query)
        if not words:
            return select(Case.id).where(literal_column("0") == 1)
        narrative = _like_all(Case.narrative, words)
        note = _like_all(Note.text, words)
    # Two index scans joined by UNION: an OR across the two tables would defeat both indexes.
    matches = union(
        select(Case.id.label("case_id")).where(narrative),
        select(Note.case_id.label("case_id")).where(note),
    ).subquery()
    return select(matches.c.case_id)
