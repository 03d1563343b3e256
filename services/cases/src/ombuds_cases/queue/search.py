"""Full-text search over case narratives and staff notes.

PostgreSQL: `websearch_to_tsquery` against `cases.search_vector`, a stored, GIN-indexed
`to_tsvector('english', ...)` of the narrative and every note of the case that triggers keep
current (migration 0010_queue_tsvector). Stemming applies ("waited" finds "waiting"), the query
language is the web-search one ("quoted phrase", or, -not), and the words may be spread over
the narrative and the notes.
SQLite: a LIKE fallback with no index: every word of the query must appear, case-insensitively
and as a substring, in the narrative or in one note. No stemming, no operators.
"""

import re

from sqlalchemy import ColumnElement, and_, literal_column, select, union
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.expression import false, func

from ombuds_cases.case.records import Note
from ombuds_cases.models import SEARCH_VECTOR, Case

_CONFIG: ColumnElement[str] = literal_column("'english'")
_WORD = re.compile(r"\w+")


def _like_all(column: InstrumentedAttribute[str], words: list[str]) -> ColumnElement[bool]:
    def escaped(word: str) -> str:
        return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

    return and_(
        *(func.lower(column).like(f"%{escaped(word.lower())}%", escape="\\") for word in words)
    )


def text_matches(query: str, dialect: str) -> ColumnElement[bool]:
    """A condition on `cases`: the case's narrative or notes match `query`."""
    if dialect == "postgresql":
        # One condition on the case row: a page can walk cases newest first and test each
        # stored vector, stopping at the page's end, or bitmap-scan the GIN index.
        vector: ColumnElement[str] = literal_column(f"{Case.__tablename__}.{SEARCH_VECTOR}")
        return vector.op("@@")(func.websearch_to_tsquery(_CONFIG, query))
    words = _WORD.findall(query)
    if not words:
        return false()
    matches = union(
        select(Case.id.label("case_id")).where(_like_all(Case.narrative, words)),
        select(Note.case_id.label("case_id")).where(_like_all(Note.text, words)),
    ).subquery()
    return Case.id.in_(select(matches.c.case_id))
