"""Compare the cases database a migration built with the models (tests of cases migrations)."""

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from ombuds_cases.models import SEARCH_VECTOR, Base


def _unmapped_search_vector(
    item: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """PostgreSQL's stored search vector and its GIN index, which no model maps."""
    if not reflected or compare_to is not None or item.table.name != "cases":
        return False
    if type_ == "column":
        return bool(name == SEARCH_VECTOR)
    if type_ == "index":
        return [c.name for c in item.columns] == [SEARCH_VECTOR]
    return False


def model_diff(connection: Connection) -> list[Any]:
    """What differs between the database and every mapped model; the search vector is checked
    on its own (tests/services/cases/queue/test_search_vectors.py)."""
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "include_object": lambda *args: not _unmapped_search_vector(*args),
        },
    )
    return list(compare_metadata(context, Base.metadata))
