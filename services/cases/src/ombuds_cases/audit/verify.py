"""`verify`: load the whole log from the database and check it with `verify_chain`; `new-key`."""

import argparse
import asyncio
import base64
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from ombuds_cases.audit.chain import VerifyReport, verify_chain
from ombuds_cases.audit.config import AuditSettings
from ombuds_cases.audit.signing import public_key_text, trusted_keys
from ombuds_cases.audit.store import whole_log
from ombuds_shared.db import create_engine, create_session_factory


async def verify_database(database_url: str, settings: AuditSettings) -> VerifyReport:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            records, checkpoints = await whole_log(session)
    finally:
        await engine.dispose()
    return verify_chain(
        [record.to_chain() for record in records],
        [checkpoint.to_checkpoint() for checkpoint in checkpoints],
        trusted_keys(settings.signer(), settings.verify_keys),
    )


def describe(report: VerifyReport) -> str:
    summary = (
        f"{report.records} records (last sequence {report.last_sequence}), "
        f"{report.checkpoints} checkpoints"
    )
    if report.intact:
        tail = (
            f"; the newest {report.unsigned_tail} records await their next signed checkpoint"
            if report.unsigned_tail
            else ""
        )
        return f"audit trail intact: {summary}{tail}"
    lines = [f"audit trail TAMPERED: {len(report.problems)} problems in {summary}"]
    lines += [f"  {problem}" for problem in report.problems]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ombuds_cases.audit",
        description="Tools for the cases service's tamper-evident audit trail.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "verify",
        help="check the hash chain and the signed checkpoints of the database in "
        "CASES_DATABASE_URL; exit status 0 only when intact",
    )
    commands.add_parser(
        "new-key",
        help="print a new signing key for CASES_AUDIT_SIGNING_KEY and its public key (for "
        "CASES_AUDIT_VERIFY_KEYS once it is retired)",
    )
    if parser.parse_args(argv).command == "new-key":
        key = Ed25519PrivateKey.generate()
        raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        print(f"CASES_AUDIT_SIGNING_KEY={base64.b64encode(raw).decode()}")
        print(f"public key: {public_key_text(key)}")
        return 0
    # Imported here: the service's settings are only needed to find the database.
    from ombuds_cases.config import Settings

    settings = Settings()
    report = asyncio.run(verify_database(settings.database_url, settings.audit))
    print(describe(report))
    # Run with the service's own CASES_AUDIT_* settings: in development the published
    # development key is trusted, which proves nothing about a production log.
    trusted = sorted({settings.audit.signing_key_id, *settings.audit.verify_keys})
    print(f"checkpoint keys trusted: {', '.join(trusted)}")
    return 0 if report.intact else 1


if __name__ == "__main__":
    sys.exit(main())
