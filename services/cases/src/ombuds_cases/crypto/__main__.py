"""`python -m ombuds_cases.crypto rotate|seal-existing`: field-key maintenance commands.

`rotate` re-wraps every case data key under the current master key (`CASES_FIELD_KEY_ID`);
keep the old master key in `CASES_FIELD_KEYS` until it has finished. `seal-existing` seals
identity values stored in plaintext before field encryption (the service also does it at
start-up).
"""

import argparse
import asyncio
import sys
from collections.abc import Sequence

from ombuds_cases.config import Settings
from ombuds_cases.crypto.backfill import seal_existing
from ombuds_cases.crypto.keys import rewrap
from ombuds_shared.db import UnitOfWork, create_engine, create_session_factory


async def rotate(settings: Settings) -> int:
    """Re-wrap all data keys under the current master key; how many were re-wrapped."""
    keyring = settings.field_encryption.keyring()
    engine = create_engine(settings.database_url)
    total = 0
    try:
        session_factory = create_session_factory(engine)
        while True:
            async with UnitOfWork(session_factory) as uow:
                done = await rewrap(uow.session, keyring)
                await uow.commit()
            total += done
            if done == 0:
                return total
    finally:
        await engine.dispose()


async def seal(settings: Settings) -> int:
    engine = create_engine(settings.database_url)
    try:
        keyring = settings.field_encryption.keyring()
        return await seal_existing(create_session_factory(engine), keyring)
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ombuds_cases.crypto")
    parser.add_argument("command", choices=["rotate", "seal-existing"])
    args = parser.parse_args(argv)
    settings = Settings()
    if args.command == "rotate":
        count = asyncio.run(rotate(settings))
        print(f"re-wrapped {count} case data key(s) under {settings.field_encryption.key_id}")
    else:
        count = asyncio.run(seal(settings))
        print(f"sealed the identity values of {count} case(s) opened before encryption")
    return 0


if __name__ == "__main__":
    sys.exit(main())
