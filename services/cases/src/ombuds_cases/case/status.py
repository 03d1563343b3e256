"""The case status state machine: every status and every move between them, in one table."""

from typing import Literal, get_args

from ombuds_shared.http import ConflictError

CaseStatus = Literal[
    "received",
    "triage",
    "assigned",
    "referred",
    "awaiting_information",
    "resolved",
    "closed",
    "withdrawn",
    "redirected",
]
STATUSES: tuple[str, ...] = get_args(CaseStatus)

# Where a case may go from each status. Read a row as "a case in <key> may become any of".
# - withdrawn is possible until the case is closed (the submitter may withdraw at any point
#   before a final answer; afterwards there is nothing left to withdraw);
# - closed may be reopened, and a reopened case goes back to triage to be looked at afresh;
# - resolved waits for closure (or goes back to work if the resolution did not hold);
# - redirected (outside the agency's jurisdiction, sent elsewhere) is closed, or reopened
#   to triage if it was sent away by mistake;
# - withdrawn is final: the case is retained, never worked again.
TRANSITIONS: dict[str, frozenset[str]] = {
    "received": frozenset({"triage", "assigned", "redirected", "closed", "withdrawn"}),
    "triage": frozenset(
        {
            "assigned",
            "referred",
            "awaiting_information",
            "resolved",
            "redirected",
            "closed",
            "withdrawn",
        }
    ),
    "assigned": frozenset(
        {
            "triage",
            "referred",
            "awaiting_information",
            "resolved",
            "redirected",
            "closed",
            "withdrawn",
        }
    ),
    "referred": frozenset({"assigned", "awaiting_information", "resolved", "closed", "withdrawn"}),
    "awaiting_information": frozenset(
        {"triage", "assigned", "referred", "resolved", "closed", "withdrawn"}
    ),
    "resolved": frozenset({"assigned", "closed", "withdrawn"}),
    "closed": frozenset({"triage"}),
    "withdrawn": frozenset(),
    "redirected": frozenset({"triage", "closed"}),
}

# Statuses in which a case is no longer worked: changes other than notes, links and source
# pointers wait for a reopen.
SETTLED = frozenset({"closed", "withdrawn"})


class IllegalTransitionError(ConflictError):
    code = "illegal_transition"


class CaseSettledError(ConflictError):
    code = "case_settled"


def can_move(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())


def check_transition(from_status: str, to_status: str) -> None:
    """Refuse a move the table does not allow, naming both statuses."""
    if not can_move(from_status, to_status):
        raise IllegalTransitionError(f"A case in status {from_status} cannot become {to_status}.")


def check_workable(status: str, action: str) -> None:
    """Refuse to work a closed or withdrawn case (reopen it first)."""
    if status in SETTLED:
        raise CaseSettledError(f"A case in status {status} cannot be changed: {action}.")
