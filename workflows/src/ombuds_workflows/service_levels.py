"""Service-level clocks of one case: pure bookkeeping, no I/O, no clock of its own.

The workflow passes `workflow.now()` into every method, so replays compute the same deadlines.

Rules (README, "Service levels"):
- both clocks start when the workflow starts; each is due `n` business days later (federal
  holidays and weekends skipped) at the same time of day;
- triage stops when the case leaves received/triage; response stops at resolved, closed,
  withdrawn or redirected. A clock stopped before its due date is `met`; once past its due
  date while running it is `breached` (and stays so);
- while an information request is open, running clocks are paused. When the last open request
  is answered (or its own due date passes unanswered), every running clock's due date moves
  later by the business days paused: those after the day the pause began up to and including
  the day it ended (asked and answered on the same day moves nothing);
- a reopened case starts both clocks afresh (a new cycle: breach keys "triage-2", ...).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ombuds_shared.business_days import business_deadline, count_business_days
from ombuds_shared.contracts import ClockLevel

TRIAGE = "triage"
RESPONSE = "response"
TRIAGE_STATUSES = frozenset({"received", "triage"})
RESPONSE_STOPS = frozenset({"resolved", "closed", "withdrawn", "redirected"})
# A clock with this many business days left, or fewer, is due soon.
DUE_SOON_BUSINESS_DAYS = 1


@dataclass
class Clock:
    name: str
    business_days: int
    due_at: datetime
    cycle: int = 1
    stopped_at: datetime | None = None
    breached_at: datetime | None = None

    @property
    def key(self) -> str:
        return self.name if self.cycle == 1 else f"{self.name}-{self.cycle}"

    @property
    def running(self) -> bool:
        return self.stopped_at is None and self.breached_at is None


@dataclass
class ServiceLevelClocks:
    triage_days: int
    response_days: int
    clocks: dict[str, Clock] = field(default_factory=dict)
    # Open information requests: id -> their own due date.
    requests: dict[str, datetime] = field(default_factory=dict)
    paused_since: datetime | None = None
    cycle: int = 0

    def start(self, now: datetime) -> None:
        """Both clocks from `now` (at the start, and again when a case is reopened)."""
        self.cycle += 1
        self.clocks = {
            name: Clock(name, days, business_deadline(now, days), self.cycle)
            for name, days in ((TRIAGE, self.triage_days), (RESPONSE, self.response_days))
        }
        if self.paused_since is not None:
            self.paused_since = now

    def on_status(self, status: str, now: datetime) -> bool:
        """Stop the clocks `status` stops; True if any stopped."""
        changed = False
        for clock in self.clocks.values():
            if clock.name == TRIAGE:
                stops = status not in TRIAGE_STATUSES
            else:
                stops = status in RESPONSE_STOPS
            # A breached clock stops too: its case is no longer overdue once it moves on.
            if stops and clock.stopped_at is None:
                clock.stopped_at = now
                changed = True
        return changed

    @property
    def paused(self) -> bool:
        return self.paused_since is not None

    def open_request(self, request_id: str, due_at: datetime, now: datetime) -> bool:
        if request_id in self.requests:
            return False
        self.requests[request_id] = due_at
        if self.paused_since is None:
            self.paused_since = now
        return True

    def close_request(self, request_id: str, now: datetime) -> bool:
        """The request is answered or past its own due date; resume once none is open."""
        if self.requests.pop(request_id, None) is None:
            return False
        if not self.requests and self.paused_since is not None:
            paused_days = count_business_days(self.paused_since.date(), now.date())
            for clock in self.clocks.values():
                if clock.running and paused_days > 0:
                    clock.due_at = business_deadline(clock.due_at, paused_days)
            self.paused_since = None
        return True

    def overdue_requests(self, now: datetime) -> list[str]:
        return sorted(rid for rid, due in self.requests.items() if due <= now)

    def next_deadline(self) -> datetime | None:
        """When something is next due: a running clock (unless paused) or an open request."""
        moments = list(self.requests.values())
        if not self.paused:
            moments += [clock.due_at for clock in self.clocks.values() if clock.running]
        return min(moments, default=None)

    def breach_due(self, now: datetime) -> list[Clock]:
        """Mark and return the running clocks whose due date has passed (never while paused)."""
        if self.paused:
            return []
        due = [c for c in self.clocks.values() if c.running and c.due_at <= now]
        for clock in due:
            clock.breached_at = now
        return due

    def level(self, clock: Clock, now: datetime) -> ClockLevel:
        remaining = count_business_days(now.date(), clock.due_at.date())
        late = clock.running and not self.paused and clock.due_at <= now
        # Late but not yet marked: the breach timer fires on the next workflow task.
        if clock.breached_at is not None or late:
            state = "breached"
        elif clock.stopped_at is not None:
            state = "met"
        elif self.paused:
            state = "paused"
        elif remaining <= DUE_SOON_BUSINESS_DAYS:
            state = "due_soon"
        else:
            state = "on_track"
        return ClockLevel(
            clock=clock.name,
            state=state,
            due_at=clock.due_at,
            business_days=clock.business_days,
            remaining_business_days=remaining,
            remaining_seconds=int((clock.due_at - now) / timedelta(seconds=1)),
            stopped_at=clock.stopped_at,
            breached_at=clock.breached_at,
        )

    def overall(self) -> str:
        """breached while a breached clock's case is still being worked, else paused, on_track
        or met; `due_soon` is only in the query (it would need a timer of its own)."""
        clocks = list(self.clocks.values())
        if any(c.breached_at is not None and c.stopped_at is None for c in clocks):
            return "breached"
        if not any(c.running for c in clocks):
            return "met"
        return "paused" if self.paused else "on_track"
