"""`python -m ombuds_cases.privacy backfill`: rebuild the blind index of every case."""

import argparse
import asyncio

from ombuds_cases.config import Settings
from ombuds_cases.privacy.indexer import backfill
from ombuds_shared.db import create_engine, create_session_factory


async def _backfill(settings: Settings) -> int:
    engine = create_engine(settings.database_url)
    try:
        return await backfill(
            create_session_factory(engine),
            settings.blind_index.raw_key(),
            settings.field_encryption.keyring(),
        )
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ombuds_cases.privacy")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("backfill", help="rebuild the blind index of every case (idempotent)")
    parser.parse_args(argv)
    indexed = asyncio.run(_backfill(Settings()))
    print(f"indexed {indexed} case(s)")


if __name__ == "__main__":
    main()
