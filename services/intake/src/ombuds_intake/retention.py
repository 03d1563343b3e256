"""The retention purge (issue 6): when a case's retention expires, intake forgets the person.

Consumes `case.archive-requested` from the cases topic and, in one transaction with its inbox
row, deletes or scrubs everything intake holds about the case, then stages
`retention.store-cleared` in its own outbox with what it removed where.

What remains afterwards is a stub submission row with no personal data: control number,
form version, kind, category, topic, channel, anonymous flag, language, the received,
acknowledgement and status dates, and the status. It keeps the control number taken and lets
late case events find their row. The account that held the case stays (it is the person's,
and may hold other cases); only its link to this case goes.
"""

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import delete, or_, select
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_intake import repository
from ombuds_intake.accounts.models import AccountCase
from ombuds_intake.attachments.models import Attachment
from ombuds_intake.attachments.storage import AttachmentStore
from ombuds_intake.models import InboxRecord, OutboxRecord
from ombuds_intake.self_service.models import Amendment, Supplement, Withdrawal
from ombuds_intake.verification.models import VerificationCode
from ombuds_shared.db import UnitOfWork
from ombuds_shared.events import (
    STORE_CLEARED_V1,
    SUBMISSIONS_TOPIC,
    CaseArchiveRequestedV1,
    CloudEvent,
    StoreClearedV1,
    make_event,
)
from ombuds_shared.inbox import claim_event
from ombuds_shared.outbox import add_to_outbox

EVENT_SOURCE = "ombuds/intake"
SERVICE = "intake"
# The manifest's name for the attachment bytes (filesystem folder or S3 bucket).
ATTACHMENT_FILES = "attachment_store"


def _count(result: object) -> int:
    return int(cast("CursorResult[Any]", result).rowcount or 0)


async def _scrub_submission(session: AsyncSession, control_number: str) -> int:
    submission = await repository.by_control_number(session, control_number)
    if submission is None or (not submission.original and not submission.narrative):
        return 0
    submission.original = {}
    submission.narrative = ""
    submission.contact_email = None
    submission.incident_date = None
    submission.port_of_entry = None
    submission.client_ip = None
    submission.resolution = None
    # The key and fingerprint come from the submitter's request: a hash of personal data
    # still confirms a guess, so neither survives.
    submission.idempotency_key = None
    submission.request_fingerprint = ""
    return 1


async def _delete_attachments(
    session: AsyncSession, store: AttachmentStore, control_number: str
) -> tuple[int, int]:
    rows = list(
        (
            await session.scalars(
                select(Attachment).where(Attachment.control_number == control_number)
            )
        ).all()
    )
    # Files go first: if the commit then fails, the redelivered request finds the rows again
    # and deleting a missing file is a no-op, so no file is ever left without its row.
    for row in rows:
        await store.delete(row.storage_key)
    deleted = await session.execute(
        delete(Attachment).where(Attachment.control_number == control_number)
    )
    return _count(deleted), len(rows)


async def purge_case(
    session: AsyncSession, store: AttachmentStore, control_number: str
) -> dict[str, int]:
    """Delete or scrub everything about the case (the caller commits); returns the manifest."""
    attachment_rows, attachment_files = await _delete_attachments(session, store, control_number)
    manifest = {
        "submissions": await _scrub_submission(session, control_number),
        "amendments": _count(
            await session.execute(
                delete(Amendment).where(Amendment.control_number == control_number)
            )
        ),
        "supplements": _count(
            await session.execute(
                delete(Supplement).where(Supplement.control_number == control_number)
            )
        ),
        "withdrawals": _count(
            await session.execute(
                delete(Withdrawal).where(Withdrawal.control_number == control_number)
            )
        ),
        "attachments": attachment_rows,
        ATTACHMENT_FILES: attachment_files,
        # Self-service codes name the case; account attach codes name `account:case`.
        "verification_codes": _count(
            await session.execute(
                delete(VerificationCode).where(
                    or_(
                        VerificationCode.subject == control_number,
                        VerificationCode.subject.endswith(f":{control_number}", autoescape=True),
                    )
                )
            )
        ),
        "account_cases": _count(
            await session.execute(
                delete(AccountCase).where(AccountCase.control_number == control_number)
            )
        ),
        # Every event intake staged about the case is keyed by its control number; earlier
        # store-cleared answers hold no personal data and stay as the record of the purge.
        "outbox": _count(
            await session.execute(
                delete(OutboxRecord).where(
                    OutboxRecord.message_key == control_number,
                    OutboxRecord.event_type != STORE_CLEARED_V1,
                )
            )
        ),
    }
    return manifest


class RetentionPurger:
    """The `case.archive-requested` handler: purge once per request, then answer."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        store: AttachmentStore,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._session_factory = session_factory
        self._store = store
        self._on_commit = on_commit

    async def handle(self, event: CloudEvent) -> None:
        request = CaseArchiveRequestedV1.model_validate(event.data)
        async with UnitOfWork(self._session_factory) as uow:
            if not await claim_event(uow.session, InboxRecord, event):
                return
            manifest = await purge_case(uow.session, self._store, request.control_number)
            body = StoreClearedV1(
                control_number=request.control_number, service=SERVICE, manifest=manifest
            )
            cleared = make_event(EVENT_SOURCE, STORE_CLEARED_V1, body, request.control_number)
            add_to_outbox(uow.session, OutboxRecord, SUBMISSIONS_TOPIC, cleared)
            await uow.commit()
        self._on_commit()
