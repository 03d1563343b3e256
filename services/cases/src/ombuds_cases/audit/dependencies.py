"""What endpoints use: `AuditDep` records an access by the caller, from the caller's address."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from ombuds_cases.audit.chain import AuditEntry
from ombuds_cases.audit.store import CheckpointPolicy, append
from ombuds_cases.audit.writer import AuditUnavailableError, AuditWriter

Action = Literal["read", "create", "update", "delete", "reveal", "export", "search"]
Outcome = Literal["success", "denied", "not_found", "error"]
# A list read or export: one record per page or file, its `fields` the control numbers shown
# (the audit search by record id finds these too).
CASE_LIST = "case_list"

ACTION_BY_METHOD: Mapping[str, Action] = {
    "GET": "read",
    "HEAD": "read",
    "POST": "create",
    "PUT": "update",
    "PATCH": "update",
    "DELETE": "delete",
}


@dataclass(frozen=True)
class Actor:
    """Who is acting, as the audit trail names them."""

    name: str
    role: str


# `staff.auth.require` sets `request.state.actor` to the signed-in member (email and role);
# the development token (development and test only) is this one person.
DEVELOPMENT_STAFF = Actor("dev-staff", "staff")
UNIDENTIFIED = Actor("anonymous", "none")


def audit_writer(request: Request) -> AuditWriter:
    writer: AuditWriter = request.app.state.audit
    return writer


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


class RequestAudit:
    """Records accesses by one request's caller."""

    def __init__(
        self,
        writer: AuditWriter | None,
        actor: Actor,
        address: str | None,
        policy: CheckpointPolicy | None = None,
    ) -> None:
        self._writer = writer
        self.actor = actor
        self.address = address
        self._policy = policy

    def naming(self, actor: Actor) -> "RequestAudit":
        """The same request's audit naming someone else (sign-in: whoever the attempt names)."""
        return RequestAudit(self._writer, actor, self.address, self._policy)

    def entry(
        self,
        action: Action,
        record_type: str,
        record_id: str,
        fields: Iterable[str] = (),
        outcome: Outcome = "success",
    ) -> AuditEntry:
        return AuditEntry(
            actor=self.actor.name,
            actor_role=self.actor.role,
            action=action,
            record_type=record_type,
            record_id=record_id,
            outcome=outcome,
            fields=tuple(fields),
            client_address=self.address,
        )

    async def record(
        self,
        action: Action,
        record_type: str,
        record_id: str,
        fields: Iterable[str] = (),
        outcome: Outcome = "success",
    ) -> int:
        """Append one audit record and wait until it is durable; returns its sequence number."""
        if self._writer is None:
            raise AuditUnavailableError("The audit trail is not running; nothing was done.")
        return await self._writer.record(
            self.entry(action, record_type, record_id, fields, outcome)
        )

    async def append_in(
        self,
        session: AsyncSession,
        action: Action,
        record_type: str,
        record_id: str,
        fields: Iterable[str] = (),
        outcome: Outcome = "success",
    ) -> int:
        """Stage the record in `session`'s transaction, to commit with the change it describes."""
        entry = self.entry(action, record_type, record_id, fields, outcome)
        policy = self._policy or (self._writer.policy if self._writer else None)
        if policy is None:
            raise AuditUnavailableError("The audit trail is not configured; nothing was done.")
        [sequence] = await append(session, [entry], policy)
        return sequence


def request_audit(request: Request) -> RequestAudit:
    # Never guess who acted: a request that `permitted` did not name is "anonymous".
    actor = getattr(request.state, "actor", UNIDENTIFIED)
    writer: AuditWriter | None = getattr(request.app.state, "audit", None)
    # Changes staged in their own transaction need only the policy, not the running writer,
    # so an app started without its lifespan (unit tests) still audits them.
    settings = request.app.state.settings.audit
    policy = (
        writer.policy if writer else CheckpointPolicy(settings.signer(), settings.checkpoint_every)
    )
    return RequestAudit(writer, actor, client_address(request), policy)


AuditDep = Annotated[RequestAudit, Depends(request_audit)]


async def record_denied(
    request: Request, actor: Actor = UNIDENTIFIED, action: Action | None = None
) -> None:
    """Audit a refused request: by whom when known, what was tried and from where.

    An app run without its lifespan (some unit tests) has no writer and records nothing.
    """
    writer: AuditWriter | None = getattr(request.app.state, "audit", None)
    if writer is None:
        return
    control_number = request.path_params.get("control_number")
    audit = RequestAudit(writer, actor, client_address(request))
    await audit.record(
        action or ACTION_BY_METHOD.get(request.method, "read"),
        "case" if control_number is not None else "endpoint",
        str(control_number)[:200] if control_number is not None else request.url.path[:200],
        outcome="denied",
    )


def shown_fields(view: BaseModel) -> list[str]:
    """The fields a response shows: top level, and one level into objects (`contact.email`)."""
    return sorted(_present(view.model_dump()))


def _present(values: Mapping[str, Any], prefix: str = "") -> Iterable[str]:
    for name, value in values.items():
        if value is None or value == {} or value == []:
            continue
        if isinstance(value, Mapping) and not prefix:
            yield from _present(value, f"{name}.")
        else:
            yield f"{prefix}{name}"
