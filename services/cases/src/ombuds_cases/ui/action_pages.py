"""The case page's action forms: each post runs the JSON API's own service function in one
unit of work (with its audit record), then returns to the case page."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases import repository
from ombuds_cases.audit.dependencies import request_audit
from ombuds_cases.case import actions, closure, schemas
from ombuds_cases.case.signals import SignalSender
from ombuds_cases.inforeq import service as inforeq
from ombuds_cases.inforeq.schemas import RequestInformationBody
from ombuds_cases.referrals import service as referrals
from ombuds_cases.referrals.schemas import ReferCase
from ombuds_cases.retention import holds
from ombuds_cases.retention.schemas import HoldRequest
from ombuds_cases.staff.auth import authorize
from ombuds_cases.staff.errors import ForbiddenError
from ombuds_cases.staff.policy import StaffActor
from ombuds_cases.ui.case_pages import ACTION_PERMISSIONS, canonical_or_refuse, case_page
from ombuds_cases.ui.pages import (
    CheckedForm,
    FieldError,
    PageRefused,
    field_errors,
    form_values,
    page_actor,
    see_other,
)
from ombuds_shared.db import UnitOfWork
from ombuds_shared.http import ServiceError, session_factory_of

router = APIRouter(prefix="/staff", include_in_schema=False)

ServiceAction = Callable[[AsyncSession, str, Any, str], Awaitable[object]]


@dataclass(frozen=True)
class ActionForm:
    request: type[BaseModel]
    apply: ServiceAction
    fields: tuple[str, ...]


ACTION_FORMS: dict[str, ActionForm] = {
    "note": ActionForm(schemas.AddNote, actions.add_note, ("stage", "text")),
    "assign": ActionForm(schemas.Assign, actions.assign, ("office", "assignee")),
    "priority": ActionForm(schemas.SetPriority, actions.set_priority, ("priority",)),
    "tags": ActionForm(schemas.SetTags, actions.set_tags, ("tags",)),
    "link": ActionForm(schemas.LinkCase, actions.link, ("control_number", "relation")),
    "source-pointer": ActionForm(
        schemas.AddSourcePointer, actions.add_source_pointer, ("system", "reference_id")
    ),
    "findings": ActionForm(
        schemas.RecordFindings, actions.record_findings, ("findings", "recommendations")
    ),
    "disposition": ActionForm(schemas.SetDisposition, actions.set_disposition, ("disposition",)),
    "status": ActionForm(schemas.ChangeStatus, closure.change_status, ("status", "reason")),
    "information-request": ActionForm(
        RequestInformationBody,
        inforeq.request_information,
        ("question", "due_in_business_days"),
    ),
    "close": ActionForm(schemas.CloseCaseRequest, closure.close, ("reason", "disposition")),
    "reopen": ActionForm(schemas.ReopenCaseRequest, closure.reopen, ("reason",)),
    "withdraw": ActionForm(schemas.WithdrawCaseRequest, closure.withdraw, ("reason",)),
    "refer": ActionForm(ReferCase, referrals.refer, ("recipient_id", "purpose", "nature")),
    "hold": ActionForm(HoldRequest, holds.place_from_form, ("reason",)),
    "lift-hold": ActionForm(HoldRequest, holds.lift_from_form, ("reason",)),
}
assert ACTION_FORMS.keys() == ACTION_PERMISSIONS.keys()


def _body(action: str, values: dict[str, str]) -> dict[str, Any]:
    if action == "tags":
        tags = [tag.strip() for tag in values.get("tags", "").split(",") if tag.strip()]
        return {"tags": tags}
    return dict(values)


def _error_field(action: str, form: ActionForm, error: ServiceError) -> str:
    """The form field a service refusal is about (its message starts with the field's name)."""
    named = error.message.split(":", 1)[0]
    field = named if named in form.fields else form.fields[0]
    return f"{action}-{field.replace('_', '-')}"


@router.post("/cases/{control_number}/actions/{action}")
async def act(control_number: str, action: str, request: Request, form: CheckedForm) -> Response:
    """Apply one action form; a refusal re-renders the case page with the form's errors."""
    spec = ACTION_FORMS.get(action)
    if spec is None:
        raise PageRefused(f"There is no action called {action}.", status.HTTP_404_NOT_FOUND)
    actor: StaffActor = await page_actor(ACTION_PERMISSIONS[action])(request)
    canonical = canonical_or_refuse(control_number)
    values = form_values(form, spec.fields)
    kept = {f"{action}-{name.replace('_', '-')}": value for name, value in values.items()}

    async def again(problems: list[FieldError], code: int) -> Response:
        return await case_page(
            request, actor, canonical, errors=problems, values=kept, status_code=code
        )

    try:
        body = spec.request.model_validate(_body(action, values))
    except ValidationError as error:
        return await again(field_errors(error, action), status.HTTP_422_UNPROCESSABLE_CONTENT)
    audit = request_audit(request)
    try:
        async with UnitOfWork(session_factory_of(request)) as uow:
            case = await repository.by_control_number(uow.session, canonical)
            if case is None:
                raise PageRefused(f"No case has control number {canonical}.", 404, actor)
            try:
                authorize(actor, ACTION_PERMISSIONS[action], case.office)
            except ForbiddenError as error:
                raise PageRefused(error.message, actor=actor) from error
            await spec.apply(uow.session, canonical, body, actor.email)
            await audit.append_in(
                uow.session, "update", "case", canonical, fields=sorted(body.model_fields_set)
            )
            await uow.commit()
    except PageRefused as refused:
        missing = refused.status_code == status.HTTP_404_NOT_FOUND
        await audit.record(
            "update", "case", canonical, outcome="not_found" if missing else "denied"
        )
        raise
    except ServiceError as error:
        problem = FieldError(_error_field(action, spec, error), error.message)
        return await again([problem], error.status_code)
    # Close, reopen and withdraw staged a workflow signal; send it now, not at the next poll.
    sender: SignalSender | None = getattr(request.app.state, "signals", None)
    if sender is not None:
        sender.notify()
    return see_other(f"/staff/cases/{canonical}?done={action}#main-content")
