"""The next evaluation date: the first local date on which an account's decision can change by the calendar alone.

Between two events an account's decision is a step function of the local date: it can only change the day after
an open invoice's local due date (the invoice becomes overdue), on the day a stage's days-past-due threshold is
reached counting from an invoice's due date (any open invoice may become the oldest overdue one), the day after a
hold's `until`, and the day a notice period ends. So the next date is found by evaluating the real policy on those
candidate dates only, in order, and stopping at the first one on which the scan would act. Nothing here guesses at
what `evaluate` does, so a rule added to it stays covered as long as its change points are among the candidates.

Pure: dates are local dates in the policy's time zone, and "would act" is `plan_change` returning a change, exactly
what makes the full scan act on the account.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from lib.domain.collections_plan import plan_change
from lib.domain.policy import CollectionsPolicy, Hold
from lib.domain.summary import LedgerSummary

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class AccountFacts:
    """What the scan knows of one account between events (its `accounts` row)."""

    customer_id: str
    summary: LedgerSummary
    hold: Hold | None
    stage: str | None
    suspended_for_non_payment: bool


def acts_on(policy: CollectionsPolicy, account: AccountFacts, day: date) -> bool:
    """The scan would act on this account if it ran on `day` (a local date)."""
    as_of = datetime.combine(day, time(12), tzinfo=policy.zone)  # any moment of the local day decides alike
    return plan_change(policy, account.customer_id, account.summary, hold=account.hold,
                       previous_stage=account.stage, suspended_for_non_payment=account.suspended_for_non_payment,
                       as_of=as_of) is not None


def change_points(policy: CollectionsPolicy, account: AccountFacts,
                  notice_period_end: date | None = None) -> list[date]:
    """Every local date on which the decision may differ from the day before, ascending."""
    grace = policy.grace_for(account.customer_id)
    points: set[date] = set()
    for invoice in account.summary.open_invoices:
        due = invoice.local_due_date(policy.zone)
        points.add(due + _ONE_DAY)
        points.update(due + timedelta(days=grace + stage.days_past_due) for stage in policy.stages)
    if account.hold is not None:
        points.add(account.hold.until + _ONE_DAY)
    if notice_period_end is not None:
        points.add(notice_period_end)
    return sorted(points)


def next_evaluation(policy: CollectionsPolicy, account: AccountFacts, today: date, *,
                    notice_period_end: date | None = None) -> date | None:
    """`today` when the scan would act today; else the first later date on which it would; None when no date
    can change anything (only an event can: a payment, an invoice, a hold)."""
    for day in _from(today, change_points(policy, account, notice_period_end)):
        if acts_on(policy, account, day):
            return day
    return None


def first_evaluation(policy: CollectionsPolicy, account: AccountFacts, today: date, *,
                     notice_period_end: date | None = None) -> date | None:
    """After an event, when the last scan's date is unknown: the first date, however early, on which a scan would
    act on the account as it now stands. A scan on any date before it would do nothing, and every scan on or after
    it reads it, so a replayed or missed day (`POST /api/scan?as_of=`) is covered as well as the next one."""
    points = change_points(policy, account, notice_period_end)
    start = min([today, *(p - _ONE_DAY for p in points)])
    return next_evaluation(policy, account, start, notice_period_end=notice_period_end)


def _from(today: date, points: list[date]) -> Iterator[date]:
    yield today
    yield from (p for p in points if p > today)
