"""The case page's reveal button: identity numbers and the date of birth in clear, for the
roles that may reveal them, audited exactly as the JSON API's reveal (action `reveal`)."""

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse

from ombuds_cases import repository
from ombuds_cases.audit.dependencies import Actor, Outcome, RequestAudit, request_audit
from ombuds_cases.case.reveal import REVEAL, clear_values
from ombuds_cases.crypto.dependencies import field_keyring
from ombuds_cases.crypto.identity import IDENTITY_SECTION, is_sensitive
from ombuds_cases.crypto.keyring import FieldDecryptError
from ombuds_cases.crypto.keys import cipher_for
from ombuds_cases.staff.policy import can
from ombuds_cases.ui.case_pages import canonical_or_refuse, case_page
from ombuds_cases.ui.pages import CheckedForm, PageRefused, page_actor
from ombuds_shared.http import session_factory_of

router = APIRouter(prefix="/staff", include_in_schema=False)


def _naming(request: Request, refused: PageRefused) -> RequestAudit:
    audit = request_audit(request)
    if refused.actor is None:
        return audit
    return audit.naming(Actor(refused.actor.email, refused.actor.role.value))


@router.post("/cases/{control_number}/reveal", response_class=HTMLResponse)
async def reveal(control_number: str, request: Request, form: CheckedForm) -> HTMLResponse:
    """Show the case page with its masked identity values in clear (never stored as such)."""
    canonical = canonical_or_refuse(control_number)
    try:
        actor = await page_actor(REVEAL)(request)
    except PageRefused as refused:
        await _naming(request, refused).record("reveal", "case", canonical, outcome="denied")
        raise
    audit = request_audit(request)
    async with session_factory_of(request)() as session:
        case = await repository.by_control_number(session, canonical)
        if case is None or not can(actor, REVEAL, case.office):
            outcome: Outcome = "not_found" if case is None else "denied"
            await audit.record("reveal", "case", canonical, outcome=outcome)
            raise PageRefused(f"No case has control number {canonical}.", 404, actor)
        identity = (case.details or {}).get(IDENTITY_SECTION) or {}
        fields = sorted(
            f"{IDENTITY_SECTION}.{name}"
            for name, value in identity.items()
            if is_sensitive(f"{IDENTITY_SECTION}.{name}") and value not in (None, "")
        )
        try:
            cipher = await cipher_for(session, field_keyring(request), canonical)
            values = await clear_values(session, case, cipher, fields)
        except FieldDecryptError as error:
            await audit.record("reveal", "case", canonical, fields, outcome="error")
            raise PageRefused(
                "The identity values of this case can no longer be read.",
                status.HTTP_410_GONE,
                actor,
            ) from error
    await audit.record("reveal", "case", canonical, fields)
    return await case_page(request, actor, canonical, revealed=values)
