"""Helpers for retention purge tests: scan a whole service database for a person's traces.

The scan reflects the live schema (not the service's models), so a table added later without
a purge rule is scanned too, and the test fails until the purge covers it.
"""

import json
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import AsyncEngine


def _forms(needle: str) -> set[str]:
    # As written, and as JSON text writes it (a payload column escapes non-ASCII and quotes).
    lowered = needle.lower()
    return {lowered, json.dumps(lowered)[1:-1], json.dumps(lowered, ensure_ascii=False)[1:-1]}


async def traces(
    engine: AsyncEngine, needles: Iterable[str], skip_tables: Iterable[str] = ()
) -> set[tuple[str, str, str]]:
    """(table, column, needle) for every value in every table that contains a needle."""
    metadata = MetaData()
    async with engine.connect() as connection:
        await connection.run_sync(metadata.reflect)
        wanted = {needle: _forms(needle) for needle in needles}
        skipped = set(skip_tables)
        found: set[tuple[str, str, str]] = set()
        for table in metadata.sorted_tables:
            if table.name in skipped:
                continue
            for row in (await connection.execute(select(table))).mappings():
                for column, value in row.items():
                    if value is None:
                        continue
                    text = (
                        json.dumps(value, default=str)
                        if isinstance(value, dict | list)
                        else str(value)
                    ).lower()
                    for needle, forms in wanted.items():
                        if any(form in text for form in forms):
                            found.add((table.name, column, needle))
    return found


def tables(found: set[tuple[str, str, str]]) -> set[str]:
    return {table for table, _column, _needle in found}


def files_under(root: Path) -> set[Path]:
    """Every file below `root` (none if it does not exist)."""
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()
