"""`python -m ombuds_cases.staff create-admin --email ... --name ...`: the first administrator;
`python -m ombuds_cases.staff assertion-key`: a new staff assertion key pair.

Prints a one-time password and the TOTP URI, once; nothing else can show them again. The
administrator's privacy training is recorded as completed on `--trained-on` (default today),
because there is no one yet to attest it.
"""

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import date, timedelta

from ombuds_cases.config import Settings
from ombuds_cases.migrate import MIGRATIONS
from ombuds_cases.staff import service
from ombuds_cases.staff.assertions import new_key_pair
from ombuds_shared.db import UnitOfWork, create_engine, create_session_factory, utcnow
from ombuds_shared.http import ServiceError
from ombuds_shared.migrations import upgrade_to_head


async def create_admin(
    settings: Settings, email: str, name: str, expires_on: date, trained_on: date
) -> tuple[str, str]:
    """Create the administrator; returns its one-time password and TOTP URI."""
    engine = create_engine(settings.database_url)
    try:
        async with UnitOfWork(create_session_factory(engine)) as uow:
            _, password, uri = await service.bootstrap_administrator(
                uow.session,
                email,
                name,
                expires_on,
                trained_on,
                settings.staff_totp_issuer,
                utcnow(),
            )
            await uow.commit()
    finally:
        await engine.dispose()
    return password, uri


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ombuds_cases.staff")
    commands = parser.add_subparsers(dest="command", required=True)
    admin = commands.add_parser("create-admin", help="create the first administrator")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", required=True)
    today = utcnow().date()
    admin.add_argument(
        "--expires-on",
        type=date.fromisoformat,
        default=today + timedelta(days=365),
        help="last day the account works (default: a year from today)",
    )
    admin.add_argument(
        "--trained-on",
        type=date.fromisoformat,
        default=today,
        help="day the privacy awareness course was completed (default: today)",
    )
    commands.add_parser(
        "assertion-key",
        help="print a new staff assertion key pair: CASES_STAFF_ASSERTION_KEY for the cases "
        "service and its public half, REFERRALS_STAFF_ASSERTION_PUBLIC_KEY, for referrals",
    )
    args = parser.parse_args(argv)
    if args.command == "assertion-key":
        private, public = new_key_pair()
        print(f"CASES_STAFF_ASSERTION_KEY={private}")
        print(f"REFERRALS_STAFF_ASSERTION_PUBLIC_KEY={public}")
        return 0
    settings = Settings()
    # Safe to repeat; lets the command run before the service has ever started.
    upgrade_to_head(MIGRATIONS, settings.database_url)
    try:
        password, uri = asyncio.run(
            create_admin(settings, args.email, args.name, args.expires_on, args.trained_on)
        )
    except ServiceError as error:
        print(error.message, file=sys.stderr)
        return 1
    print(f"one-time password: {password}")
    print(f"TOTP URI (load it into an authenticator app): {uri}")
    print("Sign in at POST /api/v1/staff/session, then replace the password.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
