"""Self-service by control number (PIA 7.3): prove control by a code, then supplement,
correct or withdraw. Each action is one transaction: intake's own row and its event."""

import copy
import hmac
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ombuds_intake import repository as submissions
from ombuds_intake.attachments.service import AttachmentLimits, claim_for_submission
from ombuds_intake.forms.definition import FieldDefinition, load_definition
from ombuds_intake.forms.paths import value_annotation
from ombuds_intake.models import OutboxRecord, Submission
from ombuds_intake.self_service import repository
from ombuds_intake.self_service.models import Amendment, Supplement, Withdrawal
from ombuds_intake.verification.service import (
    MAX_ATTEMPTS,
    Purpose,
    Recipient,
    Redemption,
    issue,
    redeem_code,
    redeem_link,
)
from ombuds_shared.db import UnitOfWork, utcnow
from ombuds_shared.events import (
    SUBMISSION_CORRECTED_V1,
    SUBMISSION_SUPPLEMENTED_V1,
    SUBMISSION_SUPPLEMENTED_V2,
    SUBMISSION_WITHDRAWN_V1,
    SUBMISSIONS_TOPIC,
    EventBody,
    SubmissionCorrectedV1,
    SubmissionSupplementedV1,
    SubmissionSupplementedV2,
    SubmissionWithdrawnV1,
    make_event,
)
from ombuds_shared.http import ConflictError, NotFoundError, ServiceError
from ombuds_shared.outbox import add_to_outbox

EVENT_SOURCE = "ombuds/intake"
PURPOSE: Purpose = "self_service"
FINISHED_STATUSES = frozenset({"closed", "withdrawn"})


class NotVerifiedError(ServiceError):
    status_code = 401
    code = "self_service_token_required"

    def __init__(self) -> None:
        super().__init__(
            "Confirm a code sent to the submission's email first, then send the token it gives "
            "in the X-Self-Service-Token header (it is good for one hour)."
        )


class SubmissionFinishedError(ConflictError):
    code = "submission_closed"

    def __init__(self, status: str) -> None:
        word = "withdrawn" if status == "withdrawn" else "closed"
        super().__init__(
            f"This submission has been {word}; it can no longer be supplemented, corrected "
            "or withdrawn."
        )
        self.status = status


class SelfServiceSubmissionNotFoundError(NotFoundError):
    def __init__(self) -> None:
        super().__init__("No submission has this control number.")


def field_error(
    field: str, rule: str, message: str, context: dict[str, Any] | None = None
) -> RequestValidationError:
    """A 422 naming `field` and the `rule` it broke, in the API's usual shape."""
    error: dict[str, Any] = {"loc": ("body", field), "type": rule, "msg": message}
    if context:
        error["ctx"] = context
    return RequestValidationError([error])


# Asking for a code --------------------------------------------------------------------------


async def request_code(
    session_factory: async_sessionmaker[AsyncSession],
    control_number: str,
    email: str,
    secret: str,
    public_url: str,
) -> bool:
    """Email a code when `email` is the submission's; True if one was issued.

    The caller answers the same either way, so nobody learns which numbers or emails exist.
    Anonymous submissions have no email and so never get a code.
    """
    async with UnitOfWork(session_factory) as uow:
        submission = await submissions.by_control_number(uow.session, control_number)
        if submission is None or submission.anonymous or submission.contact_email is None:
            return False
        if not hmac.compare_digest(submission.contact_email, email.strip().lower()):
            return False
        contact = current_view(submission, []).get("contact") or {}
        name = " ".join(
            str(part) for part in (contact.get("first_name"), contact.get("last_name")) if part
        )
        issue(
            uow.session,
            purpose=PURPOSE,
            subject=control_number,
            recipient=Recipient(
                email=submission.contact_email, name=name or None, language=submission.language
            ),
            secret=secret,
            link_base=f"{public_url.rstrip('/')}/manage",
            control_number=control_number,
        )
        await uow.commit()
    return True


@dataclass(frozen=True)
class CodeCheck:
    redemption: Redemption
    tries_left: int


async def confirm_code(
    session_factory: async_sessionmaker[AsyncSession], control_number: str, code: str, secret: str
) -> CodeCheck:
    """Check a code; the counted attempt is committed whatever the answer."""
    async with UnitOfWork(session_factory) as uow:
        redemption = await redeem_code(
            uow.session, purpose=PURPOSE, subject=control_number, code=code, secret=secret
        )
        await uow.commit()
    tries_left = 0
    if redemption is Redemption.WRONG:
        async with session_factory() as session:
            fewest = await repository.fewest_attempts(session, PURPOSE, control_number)
        tries_left = max(0, MAX_ATTEMPTS - fewest) if fewest is not None else 0
        if tries_left == 0:
            redemption = Redemption.LOCKED
    return CodeCheck(redemption=redemption, tries_left=tries_left)


async def confirm_link(
    session_factory: async_sessionmaker[AsyncSession], verification_id: str, token: str, secret: str
) -> str | None:
    """The control number an emailed self-service link proves control of, once; else None."""
    async with UnitOfWork(session_factory) as uow:
        verification = await redeem_link(
            uow.session, verification_id=verification_id, token=token, secret=secret
        )
        if verification is None or verification.purpose != PURPOSE:
            return None
        await uow.commit()
        return verification.subject


# The submission as it stands ----------------------------------------------------------------


def current_view(submission: Submission, amendments: list[Amendment]) -> dict[str, Any]:
    """The original with every amendment applied in order; the original itself is untouched."""
    view = copy.deepcopy(submission.original)
    for amendment in amendments:
        _set(view, amendment.field, amendment.new_value)
    return view


def _get(view: dict[str, Any], path: str) -> Any:
    node: Any = view
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _set(view: dict[str, Any], path: str, value: Any) -> None:
    *sections, name = path.split(".")
    node = view
    for part in sections:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    if value is None:
        node.pop(name, None)
    else:
        node[name] = value


@dataclass(frozen=True)
class History:
    submission: Submission
    supplements: list[Supplement]
    amendments: list[Amendment]
    withdrawal: Withdrawal | None

    @property
    def view(self) -> dict[str, Any]:
        return current_view(self.submission, self.amendments)


async def history(session: AsyncSession, control_number: str) -> History:
    """The submission with what its submitter added, corrected or withdrew."""
    submission = await submissions.by_control_number(session, control_number)
    if submission is None:
        raise SelfServiceSubmissionNotFoundError()
    return History(
        submission=submission,
        supplements=await repository.supplements(session, control_number),
        amendments=await repository.amendments(session, control_number),
        withdrawal=await repository.withdrawal(session, control_number),
    )


async def _open_submission(session: AsyncSession, control_number: str) -> Submission:
    """The submission, if it can still be changed; 409 once closed or withdrawn."""
    submission = await submissions.by_control_number(session, control_number)
    if submission is None:
        raise SelfServiceSubmissionNotFoundError()
    if await repository.withdrawal(session, control_number) is not None:
        raise SubmissionFinishedError("withdrawn")
    if submission.status in FINISHED_STATUSES:
        raise SubmissionFinishedError(submission.status)
    return submission


# Correctable fields -------------------------------------------------------------------------


def correctable_fields(submission: Submission) -> dict[str, FieldDefinition]:
    """Every field on this submission's question path, in ITS form version, by dotted path."""
    definition = load_definition(submission.form_version)
    path = definition.categories[submission.category]
    found: dict[str, FieldDefinition] = {}
    for section in path.sections:
        if submission.anonymous and definition.sections[section].personal:
            continue
        for name, field in definition.fields_on_path(submission.category, section).items():
            found[f"{section}.{name}"] = field
    return found


def _validated_value(field_path: str, field: FieldDefinition, value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        value = None
    if value is None:
        if field.required:
            raise field_error(
                "value", "missing", f"{field_path} is required and cannot be left empty"
            )
        return None
    adapter: TypeAdapter[Any] = TypeAdapter(value_annotation(field))
    try:
        return adapter.dump_python(adapter.validate_python(value), mode="json")
    except ValidationError as error:
        first = error.errors()[0]
        raise field_error(
            "value", first["type"], f"{field_path}: {first['msg']}", first.get("ctx")
        ) from None


# Actions ------------------------------------------------------------------------------------


def _supplemented_event(row: Supplement) -> tuple[str, EventBody]:
    if row.reply_to_request is None:
        return SUBMISSION_SUPPLEMENTED_V1, SubmissionSupplementedV1(
            control_number=row.control_number,
            supplement_id=row.supplement_id,
            text=row.text,
            attachments=row.attachments,
            supplemented_at=row.supplemented_at,
        )
    return SUBMISSION_SUPPLEMENTED_V2, SubmissionSupplementedV2(
        control_number=row.control_number,
        supplement_id=row.supplement_id,
        text=row.text,
        attachments=row.attachments,
        reply_to_request=row.reply_to_request,
        supplemented_at=row.supplemented_at,
    )


async def supplement(
    session_factory: async_sessionmaker[AsyncSession],
    control_number: str,
    text: str | None,
    attachment_ids: list[str],
    limits: AttachmentLimits,
    reply_to_request: str | None = None,
) -> Supplement:
    """Add text and/or uploaded files to the submission, with its `supplemented` event
    (v2, naming the request, when it answers a request for information)."""
    if not text and not attachment_ids:
        raise field_error(
            "text", "text_or_attachments_required", "add some text or at least one attachment"
        )
    async with UnitOfWork(session_factory) as uow:
        await _open_submission(uow.session, control_number)
        if attachment_ids:
            await claim_for_submission(uow.session, attachment_ids, control_number, limits)
        row = Supplement(
            supplement_id=uuid4().hex,
            control_number=control_number,
            text=text,
            attachments=list(attachment_ids),
            reply_to_request=reply_to_request,
            supplemented_at=utcnow(),
        )
        uow.session.add(row)
        event = make_event(EVENT_SOURCE, *_supplemented_event(row), control_number)
        add_to_outbox(uow.session, OutboxRecord, SUBMISSIONS_TOPIC, event)
        await uow.commit()
    return row


async def correct(
    session_factory: async_sessionmaker[AsyncSession],
    control_number: str,
    field_path: str,
    value: Any,
    reason: str | None,
) -> Amendment:
    """Amend one field on the submission's path; the original stays as received."""
    async with UnitOfWork(session_factory) as uow:
        submission = await _open_submission(uow.session, control_number)
        fields = correctable_fields(submission)
        field = fields.get(field_path)
        if field is None:
            raise field_error(
                "field",
                "not_on_path",
                f"{field_path} is not a field of this submission's question path; "
                f"choose one of: {', '.join(fields)}",
            )
        new_value = _validated_value(field_path, field, value)
        amendments = await repository.amendments(uow.session, control_number)
        previous = _get(current_view(submission, amendments), field_path)
        if previous == new_value:
            raise field_error("value", "unchanged", f"{field_path} already has this value")
        row = Amendment(
            amendment_id=uuid4().hex,
            control_number=control_number,
            field=field_path,
            previous_value=previous,
            new_value=new_value,
            reason=reason,
            amended_at=utcnow(),
        )
        uow.session.add(row)
        if field_path == "contact.email" and isinstance(new_value, str):
            # Codes and status lookups follow the corrected address; `original` keeps the old.
            submission.contact_email = new_value.lower()
        body = SubmissionCorrectedV1(
            control_number=control_number,
            amendment_id=row.amendment_id,
            field=field_path,
            previous_value=previous,
            new_value=new_value,
            reason=reason,
            corrected_at=row.amended_at,
        )
        event = make_event(EVENT_SOURCE, SUBMISSION_CORRECTED_V1, body, control_number)
        add_to_outbox(uow.session, OutboxRecord, SUBMISSIONS_TOPIC, event)
        await uow.commit()
    return row


async def withdraw(
    session_factory: async_sessionmaker[AsyncSession], control_number: str, reason: str | None
) -> Withdrawal:
    """Withdraw the submission; the case closes as withdrawn and is still retained."""
    async with UnitOfWork(session_factory) as uow:
        submission = await _open_submission(uow.session, control_number)
        now = utcnow()
        row = Withdrawal(control_number=control_number, reason=reason, withdrawn_at=now)
        uow.session.add(row)
        submission.status = "withdrawn"
        submission.status_updated_at = now
        body = SubmissionWithdrawnV1(control_number=control_number, reason=reason, withdrawn_at=now)
        event = make_event(EVENT_SOURCE, SUBMISSION_WITHDRAWN_V1, body, control_number)
        add_to_outbox(uow.session, OutboxRecord, SUBMISSIONS_TOPIC, event)
        try:
            await uow.commit()
        except IntegrityError:
            # Another withdrawal of the same submission committed first.
            raise SubmissionFinishedError("withdrawn") from None
    return row
