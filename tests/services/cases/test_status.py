"""The status state machine: every pair of statuses, legal or not, against the table."""

import itertools

import pytest

from ombuds_cases.case.status import (
    STATUSES,
    TRANSITIONS,
    CaseSettledError,
    IllegalTransitionError,
    check_transition,
    check_workable,
)

# The moves a case-management product must allow, written out independently of the table.
EXPECTED_LEGAL = {
    ("received", "triage"),
    ("received", "assigned"),
    ("received", "redirected"),
    ("received", "closed"),
    ("received", "withdrawn"),
    *{
        ("triage", to)
        for to in (
            "assigned",
            "referred",
            "awaiting_information",
            "resolved",
            "redirected",
            "closed",
            "withdrawn",
        )
    },
    *{
        ("assigned", to)
        for to in (
            "triage",
            "referred",
            "awaiting_information",
            "resolved",
            "redirected",
            "closed",
            "withdrawn",
        )
    },
    *{
        ("referred", to)
        for to in ("assigned", "awaiting_information", "resolved", "closed", "withdrawn")
    },
    *{
        ("awaiting_information", to)
        for to in ("triage", "assigned", "referred", "resolved", "closed", "withdrawn")
    },
    ("resolved", "assigned"),
    ("resolved", "closed"),
    ("resolved", "withdrawn"),
    ("closed", "triage"),
    ("redirected", "triage"),
    ("redirected", "closed"),
}
ALL_PAIRS = list(itertools.product(STATUSES, STATUSES))


def test_the_table_covers_exactly_the_nine_statuses() -> None:
    assert (
        set(TRANSITIONS)
        == set(STATUSES)
        == {
            "received",
            "triage",
            "assigned",
            "referred",
            "awaiting_information",
            "resolved",
            "closed",
            "withdrawn",
            "redirected",
        }
    )
    assert all(targets <= set(STATUSES) for targets in TRANSITIONS.values())


@pytest.mark.parametrize(("from_status", "to_status"), sorted(EXPECTED_LEGAL))
def test_legal_transition_is_allowed(from_status: str, to_status: str) -> None:
    check_transition(from_status, to_status)


@pytest.mark.parametrize(
    ("from_status", "to_status"), [pair for pair in ALL_PAIRS if pair not in EXPECTED_LEGAL]
)
def test_illegal_transition_is_refused_naming_both(from_status: str, to_status: str) -> None:
    with pytest.raises(IllegalTransitionError) as refused:
        check_transition(from_status, to_status)
    assert refused.value.status_code == 409
    assert refused.value.message == f"A case in status {from_status} cannot become {to_status}."


def test_withdrawn_is_final_and_closed_only_reopens() -> None:
    assert TRANSITIONS["withdrawn"] == frozenset()
    assert TRANSITIONS["closed"] == frozenset({"triage"})
    assert not any("withdrawn" in TRANSITIONS[s] for s in ("closed", "redirected"))


@pytest.mark.parametrize("status", ["closed", "withdrawn"])
def test_settled_cases_cannot_be_worked(status: str) -> None:
    with pytest.raises(CaseSettledError) as refused:
        check_workable(status, "assign")
    assert status in refused.value.message


@pytest.mark.parametrize("status", [s for s in STATUSES if s not in ("closed", "withdrawn")])
def test_open_cases_can_be_worked(status: str) -> None:
    check_workable(status, "assign")
