"""`python -m ombuds_intake.migrate`: bring intake's database to the latest schema."""

from pathlib import Path

from ombuds_intake.config import Settings
from ombuds_shared.migrations import upgrade_to_head

MIGRATIONS = Path(__file__).parent / "migrations"


def main() -> None:
    upgrade_to_head(MIGRATIONS, Settings().database_url)


if __name__ == "__main__":
    main()
