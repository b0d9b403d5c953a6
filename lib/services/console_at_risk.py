"""The console's landing list: every customer with money overdue or a collections stage, and when the policy
would suspend them.

Reads the `accounts` index (one small row per customer, the same pass the aging report makes) and the company
names; the date of suspension is found by evaluating the policy on the book as it stands, day by day, as a scan
would on each of those days.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal

from lib.domain.next_evaluation import AccountFacts, change_points
from lib.domain.policy import CURRENT, SUSPEND, AccountState, CollectionsPolicy, Decision, Hold, evaluate
from lib.store.accounts import AccountRow, Accounts
from lib.store.companies import Company

SortKey = Literal["days", "overdue", "name"]
SORT_KEYS: tuple[SortKey, ...] = ("days", "overdue", "name")


class InvalidListQuery(ValueError):
    """A stage or sort the list does not know."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


# The first local date the notice period allows a suspension for a customer (NoticeOutbox.suspension_not_before).
NoticeBound = Callable[[str, datetime], date | None]

@dataclass(frozen=True)
class AtRiskRow:
    customer_id: str
    company: Company | None
    stage: str  # what the policy says today (the scan records it on its next run)
    currency: str
    overdue_amount: int  # minor units
    days_past_due: int
    suspension_on: date | None  # the first local date the policy would suspend, the book unchanged
    suspended: bool  # csp-guard holds the customer suspended for non-payment
    withheld: str  # what holds a suspension back now (hold, dispute, override), or for good; else ""
    hold: Hold | None

    @property
    def name(self) -> str:
        return self.company.name if self.company and self.company.name else ""


@dataclass(frozen=True)
class AtRiskQuery:
    stage: str | None = None
    sort: SortKey = "days"

    @classmethod
    def parse(cls, params: dict[str, str], policy: CollectionsPolicy) -> AtRiskQuery:
        stage = params.get("stage") or None
        stages = (CURRENT, *(s.name for s in policy.stages))
        if stage is not None and stage not in stages:
            raise InvalidListQuery(f"stage must be one of {', '.join(stages)}", "stage")
        sort = params.get("sort") or "days"
        if sort not in SORT_KEYS:
            raise InvalidListQuery(f"sort must be one of {', '.join(SORT_KEYS)}", "sort")
        return cls(stage, sort)


def at_risk(accounts: Accounts, policy: CollectionsPolicy, as_of: datetime, query: AtRiskQuery,
            names: Callable[[list[str]], dict[str, Company]],
            notice_bound: NoticeBound | None = None) -> list[AtRiskRow]:
    rows = [row for row in accounts.scan() if _at_risk(row, policy, as_of)]
    known = names([row.customer_id for row in rows])
    listed = [at_risk_row(row, policy, as_of, known.get(row.customer_id.lower()), notice_bound) for row in rows]
    if query.stage is not None:
        listed = [row for row in listed if row.stage == query.stage]
    if query.sort == "overdue":
        listed.sort(key=lambda r: (-r.overdue_amount, -r.days_past_due, r.customer_id))
    elif query.sort == "name":
        listed.sort(key=lambda r: (r.name.casefold() or "\uffff", r.customer_id))
    else:
        listed.sort(key=lambda r: (-r.days_past_due, -r.overdue_amount, r.customer_id))
    return listed


def at_risk_ids(accounts: Accounts, policy: CollectionsPolicy, as_of: datetime) -> list[str]:
    return [row.customer_id for row in accounts.scan() if _at_risk(row, policy, as_of)]


def suspension_date(policy: CollectionsPolicy, row: AccountRow, today: date) -> tuple[date | None, str]:
    """The first local date from `today` on which the policy's decision includes suspending, the book as it
    stands, or None when the calendar alone never gets there; and, then, what withholds it (a dispute, an
    override), if anything does. Only the dates the agenda knows can change a decision are tried."""
    if not row.summary.open_invoices:
        return None, ""
    facts = AccountFacts(row.customer_id, row.summary, row.hold, row.stage, row.suspended_for_non_payment)
    withheld = ""
    for day in [today, *(point for point in change_points(policy, facts) if point > today)]:
        decision = evaluate(policy, AccountState(row.customer_id, row.summary, row.hold, row.stage),
                            datetime.combine(day, time(12, 0), tzinfo=policy.zone))
        if SUSPEND in decision.actions:
            return day, ""
        withheld = _why_withheld(decision)
    return None, withheld


def _at_risk(row: AccountRow, policy: CollectionsPolicy, as_of: datetime) -> bool:
    if row.suspended_for_non_payment or (row.stage or CURRENT) != CURRENT:
        return True
    return row.summary.overdue(as_of, policy.zone).amount > 0


def at_risk_row(row: AccountRow, policy: CollectionsPolicy, as_of: datetime, company: Company | None,
                notice_bound: NoticeBound | None = None) -> AtRiskRow:
    """Where the customer stands today: the list's row, also shown at the top of the customer's page. The date of
    suspension is the policy's, and no earlier than the notice period allows (`notice_bound`: no suspension
    without notice)."""
    decision = evaluate(policy, AccountState(row.customer_id, row.summary, row.hold, row.stage), as_of)
    suspension_on, never_because = (None, "") if row.suspended_for_non_payment else suspension_date(
        policy, row, as_of.astimezone(policy.zone).date())
    bound = notice_bound(row.customer_id, as_of) if suspension_on is not None and notice_bound else None
    if suspension_on is not None and bound is not None:
        suspension_on = max(suspension_on, bound)
    return AtRiskRow(
        customer_id=row.customer_id, company=company, stage=decision.stage,
        currency=row.summary.currency or policy.currency, overdue_amount=decision.overdue_amount,
        days_past_due=decision.days_past_due, suspension_on=suspension_on, suspended=row.suspended_for_non_payment,
        withheld=_why_withheld(decision) or never_because, hold=row.hold)


def _why_withheld(decision: Decision) -> str:
    return "; ".join(w.why for w in decision.withheld if w.action == SUSPEND)
