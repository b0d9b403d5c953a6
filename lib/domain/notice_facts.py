"""What a notice to a customer says: its facts, computed from the policy and the book, never its wording.

The date of the next step is the first local date on which that step's conditions hold by the calendar alone (the
book as it stands, nothing paid, nothing new invoiced), found by evaluating the policy day by day. A suspension is
named no earlier than the end of the notice period counted from the day of the notice. Nothing here is a guess:
when no later step follows from the calendar, the notice names none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from lib.domain.money import format_amount
from lib.domain.next_evaluation import AccountFacts, change_points
from lib.domain.policy import (
    CURRENT,
    SUSPEND,
    AccountState,
    CollectionsPolicy,
    Hold,
    evaluate,
    require_aware,
    stage_rank,
)
from lib.domain.summary import LedgerSummary

STAGE_NOTICE = "stage"  # the notice of a stage with `notify`
PRE_SUSPENSION = "pre_suspension"  # the notice the notice period requires before a suspension
NOTICE_KINDS = (STAGE_NOTICE, PRE_SUSPENSION)


def money_text(amount: int, currency: str) -> str:
    """¥12,345.67 (-¥12.00 below zero) for CNY, as notices and the console print it in both languages; other
    currencies as '12,345.67 USD'."""
    if currency != "CNY":
        return format_amount(amount, currency)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥" + format_amount(abs(amount), currency).removesuffix(" CNY")


@dataclass(frozen=True)
class InvoiceLine:
    invoice_id: str
    due_date: date  # local date in the policy's zone
    remaining: int  # minor units


@dataclass(frozen=True)
class NextStep:
    stage: str
    on: date  # the first local date it may happen
    suspends: bool


@dataclass(frozen=True)
class NoticeFacts:
    customer_id: str
    company_name: str
    stage: str
    kind: str  # stage | pre_suspension
    notice_date: date  # local date of the scan that made it
    currency: str
    overdue_amount: int
    invoices: tuple[InvoiceLine, ...]
    days_past_due: int
    next_step: NextStep | None
    suspension_date: date | None  # the suspension date this notice names, if it names one

    def as_json(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id, "company_name": self.company_name, "stage": self.stage,
            "kind": self.kind, "notice_date": self.notice_date.isoformat(), "currency": self.currency,
            "overdue_amount": self.overdue_amount, "days_past_due": self.days_past_due,
            "invoices": [{"invoice_id": i.invoice_id, "due_date": i.due_date.isoformat(), "remaining": i.remaining}
                         for i in self.invoices],
            "next_step": None if self.next_step is None else {
                "stage": self.next_step.stage, "on": self.next_step.on.isoformat(),
                "suspends": self.next_step.suspends},
            "suspension_date": self.suspension_date.isoformat() if self.suspension_date else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NoticeFacts:
        step = data.get("next_step")
        return cls(
            customer_id=data["customer_id"], company_name=data["company_name"], stage=data["stage"],
            kind=data["kind"], notice_date=date.fromisoformat(data["notice_date"]), currency=data["currency"],
            overdue_amount=int(data["overdue_amount"]), days_past_due=int(data["days_past_due"]),
            invoices=tuple(InvoiceLine(i["invoice_id"], date.fromisoformat(i["due_date"]), int(i["remaining"]))
                           for i in data["invoices"]),
            next_step=None if not step else NextStep(step["stage"], date.fromisoformat(step["on"]),
                                                     bool(step["suspends"])),
            suspension_date=date.fromisoformat(data["suspension_date"]) if data.get("suspension_date") else None,
        )


def local_noon(day: date, policy: CollectionsPolicy) -> datetime:
    """The moment a scan `--as-of DAY` evaluates: noon of that local date."""
    return datetime.combine(day, time(12, 0), tzinfo=policy.zone)


def reached_stage(policy: CollectionsPolicy, customer_id: str, summary: LedgerSummary, day: date) -> str:
    """The stage the calendar alone puts the book in on `day` (no hold, no previous stage)."""
    return evaluate(policy, AccountState(customer_id, summary), local_noon(day, policy)).stage


def next_step(policy: CollectionsPolicy, customer_id: str, summary: LedgerSummary, *, stage: str, today: date,
              hold: Hold | None = None) -> NextStep | None:
    """The first later local date on which the book reaches a stage beyond `stage`, and that stage.

    A hold that applies keeps the stage from rising up to and including its date. A suspension that an open
    dispute or a never_suspend override withholds is not announced as a suspension."""
    if not summary.open_invoices:
        return None
    override = policy.override_for(customer_id)
    rank = stage_rank(policy, stage)
    first = today + timedelta(days=1)
    if hold is not None and hold.applies_on(today):
        first = max(first, hold.until + timedelta(days=1))
    # The stage the calendar gives can only change on the agenda's change points (lib/domain/next_evaluation.py).
    points = change_points(policy, AccountFacts(customer_id, summary, hold, None, False))
    for day in [first, *(point for point in points if point > first)]:
        reached = reached_stage(policy, customer_id, summary, day)
        if reached != CURRENT and stage_rank(policy, reached) > rank:
            withheld = summary.open_disputes > 0 or (override is not None and override.never_suspend)
            return NextStep(reached, day, SUSPEND in policy.stage(reached).actions and not withheld)
    return None


def notice_facts(policy: CollectionsPolicy, customer_id: str, company_name: str, summary: LedgerSummary, *,
                 stage: str, kind: str, as_of: datetime, hold: Hold | None = None) -> NoticeFacts:
    """The facts of the notice for `stage`, made on the local date of `as_of`.

    A stage notice names the next step; if that step suspends, it names the suspension date, no earlier than the
    notice period's end. A pre-suspension notice names the first date the notice period allows (and, under a hold,
    no earlier than the day after it)."""
    require_aware(as_of)
    zone = policy.zone
    today = as_of.astimezone(zone).date()
    period = timedelta(days=policy.notices.notice_days_before_suspension)
    overdue = summary.overdue(as_of, zone)
    lines = tuple(InvoiceLine(inv.invoice_id, inv.local_due_date(zone), inv.remaining)
                  for inv in sorted(summary.open_invoices) if inv.local_due_date(zone) < today)
    step: NextStep | None
    if kind == PRE_SUSPENSION:
        on = today + period
        if hold is not None and hold.applies_on(today):
            on = max(on, hold.until + timedelta(days=1))
        step = NextStep(stage, on, True)
    else:
        step = next_step(policy, customer_id, summary, stage=stage, today=today, hold=hold)
        if step is not None and step.suspends:
            step = NextStep(step.stage, max(step.on, today + period), True)
    return NoticeFacts(
        customer_id=customer_id, company_name=company_name, stage=stage, kind=kind, notice_date=today,
        currency=summary.currency or policy.currency, overdue_amount=overdue.amount, invoices=lines,
        days_past_due=overdue.days_past_due, next_step=step,
        suspension_date=step.on if step is not None and step.suspends else None,
    )
