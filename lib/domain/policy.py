"""The collections policy as data, and `evaluate`: which stage a customer is in and what to do about it.

Pure: the policy arrives parsed (see `policy_file`), the account arrives as its ledger summary, and the time
arrives as an explicit, timezone-aware `as_of`. Day boundaries are the policy's time zone, never the host's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from lib.domain.money import format_amount
from lib.domain.summary import LedgerSummary

CURRENT = "current"
ACTIONS = ("notify", "suspend", "service_request")
SUSPEND = "suspend"
SUSPEND_REASON = "non_payment"  # the suspension reason the policy's `suspend` action records
HOLD_KINDS = ("exemption", "promise_to_pay")

HoldKind = Literal["exemption", "promise_to_pay"]


class NaiveDatetimeError(ValueError):
    """A datetime without a time zone: the day it falls on would depend on the host's clock settings."""


class UnknownStageError(ValueError):
    """A stage name the policy does not define."""


@dataclass(frozen=True)
class Stage:
    name: str
    days_past_due: int  # counted after the customer's grace days
    min_overdue: int = 0  # minor units
    min_unpaid_invoices: int = 0
    actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class CustomerOverride:
    customer_id: str  # lower-case tenant GUID
    grace_days: int | None = None
    minimum_overdue: int | None = None
    never_suspend: bool = False
    note: str = ""


@dataclass(frozen=True)
class HoldLimits:
    """How far ahead an operator may set a hold; the published text quotes the promise-to-pay limit."""

    promise_to_pay_max_days: int = 30
    exemption_max_days: int = 365


@dataclass(frozen=True)
class CustomerText:
    """Facts the published policy states that enforcement does not decide."""

    partner_name: str = "{partner_name}"
    contact_email: str = ""
    contact_phone: str = ""
    payment_terms_days: int = 30
    dispute_email: str = ""  # empty: disputes go to contact_email
    dispute_url: str = ""


@dataclass(frozen=True)
class FraudThresholds:
    """Data for the fraud rules; nothing in this module acts on it."""

    usage_spike_multiplier: float = 3.0
    new_customer_days: int = 30
    new_customer_spend_limit: int = 5_000_000  # minor units
    failed_payments_before_spend_jump: int = 3
    suspend_on: tuple[str, ...] = ("high",)
    service_request_on: tuple[str, ...] = ("high",)


@dataclass(frozen=True)
class Prevention:
    new_customer_budget: int = 1_000_000  # minor units
    budget_alert_percent: int = 80


@dataclass(frozen=True)
class NoticeRules:
    """The `[notices]` table. With 0 days, a notice made by the same scan as the suspension suffices."""

    notice_days_before_suspension: int = 0


@dataclass(frozen=True)
class CollectionsPolicy:
    timezone: str
    stages: tuple[Stage, ...]  # ascending severity
    currency: str = "CNY"  # the currency of every amount in the policy
    minimum_overdue: int = 0
    grace_days: int = 0
    holds: HoldLimits = field(default_factory=HoldLimits)
    customer_text: CustomerText = field(default_factory=CustomerText)
    fraud: FraudThresholds = field(default_factory=FraudThresholds)
    prevention: Prevention = field(default_factory=Prevention)
    customers: Mapping[str, CustomerOverride] = field(default_factory=dict)
    notices: NoticeRules = field(default_factory=NoticeRules)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def override_for(self, customer_id: str) -> CustomerOverride | None:
        return self.customers.get(customer_id.lower())

    def grace_for(self, customer_id: str) -> int:
        """The customer's grace days: its override's when it sets them, else the policy's."""
        override = self.override_for(customer_id)
        return self.grace_days if override is None or override.grace_days is None else override.grace_days

    def stage(self, name: str) -> Stage:
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise UnknownStageError(f"the policy has no stage {name!r}")


@dataclass(frozen=True)
class Hold:
    kind: HoldKind
    until: date  # inclusive, a local date in the policy's time zone
    note: str = ""

    def applies_on(self, day: date) -> bool:
        return day <= self.until

    def describe(self) -> str:
        return f"{self.kind.replace('_', ' ')} until {self.until.isoformat()}"


@dataclass(frozen=True)
class AccountState:
    customer_id: str
    summary: LedgerSummary
    hold: Hold | None = None
    previous_stage: str | None = None  # the stage last reported; None for an account never evaluated


@dataclass(frozen=True)
class Withheld:
    action: str
    why: str


@dataclass(frozen=True)
class Decision:
    customer_id: str
    stage: str  # "current" or a stage name
    actions: tuple[str, ...]  # the stage's actions that are to be taken now
    withheld: tuple[Withheld, ...]  # the stage's actions that a hold, dispute or override holds back
    days_past_due: int  # per the design's definition, before grace days
    overdue_amount: int
    unpaid_invoices: int
    reason: str


def stage_rank(policy: CollectionsPolicy, name: str) -> int:
    """0 for "current", then 1, 2, ... in the policy's order of severity."""
    if name == CURRENT:
        return 0
    for rank, stage in enumerate(policy.stages, start=1):
        if stage.name == name:
            return rank
    raise UnknownStageError(f"the policy has no stage {name!r}")


def is_suspend_stage(decision: Decision) -> bool:
    """The decision's stage calls for suspension, whether or not suspension is withheld right now.

    Suspension for non-payment is lifted only when this turns false; a withheld suspend is not a restore."""
    return SUSPEND in decision.actions or any(w.action == SUSPEND for w in decision.withheld)


def require_aware(moment: datetime, what: str = "as_of") -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise NaiveDatetimeError(f"{what} must carry a time zone, got naive {moment.isoformat()}")
    return moment


def evaluate(policy: CollectionsPolicy, account: AccountState, as_of: datetime) -> Decision:
    require_aware(as_of)
    zone = policy.zone
    today = as_of.astimezone(zone).date()
    override = policy.override_for(account.customer_id)
    grace = policy.grace_for(account.customer_id)
    floor = (
        policy.minimum_overdue
        if override is None or override.minimum_overdue is None
        else override.minimum_overdue
    )
    overdue = account.summary.overdue(as_of, zone)
    counted_days = overdue.days_past_due - grace

    reached = CURRENT
    if overdue.invoices and overdue.amount >= floor:
        for stage in policy.stages:
            if (
                counted_days >= stage.days_past_due
                and overdue.amount >= stage.min_overdue
                and overdue.invoices >= stage.min_unpaid_invoices
            ):
                reached = stage.name  # stages ascend, so the last one that holds is the most severe

    hold = account.hold if account.hold is not None and account.hold.applies_on(today) else None
    stage_name = reached
    if hold is not None:
        stage_name = _frozen(policy, reached, account.previous_stage)

    planned = () if stage_name == CURRENT else policy.stage(stage_name).actions
    why_withheld = _withholding(account, hold, override)
    withheld = tuple(
        Withheld(action, ", ".join(why_withheld[action])) for action in planned if why_withheld.get(action)
    )
    actions = tuple(action for action in planned if not why_withheld.get(action))
    currency = account.summary.currency or policy.currency

    parts = [_describe_overdue(overdue.days_past_due, overdue.invoices, overdue.amount, currency)]
    if overdue.invoices and grace:
        parts.append(f"{grace} grace days")
    if overdue.invoices and overdue.amount < floor:
        parts.append(f"below the minimum of {format_amount(floor, currency)}")
    parts.append(f"stage {stage_name}")
    if stage_name != reached:
        parts.append(f"held at {stage_name} by {hold.describe() if hold else 'hold'} (would be {reached})")
    parts.extend(f"{w.action} withheld: {w.why}" for w in withheld)
    return Decision(
        customer_id=account.customer_id,
        stage=stage_name,
        actions=actions,
        withheld=withheld,
        days_past_due=overdue.days_past_due,
        overdue_amount=overdue.amount,
        unpaid_invoices=overdue.invoices,
        reason="; ".join(parts),
    )


def _frozen(policy: CollectionsPolicy, reached: str, previous: str | None) -> str:
    """While a hold applies the stage may fall (the customer paid) but not rise past where it was."""
    try:
        ceiling = stage_rank(policy, previous or CURRENT)
    except UnknownStageError:
        # The policy changed since the last evaluation; the stage cannot be frozen at a stage that no longer
        # exists, so report the reached stage and rely on withholding to keep the hold's promise.
        return reached
    return reached if stage_rank(policy, reached) <= ceiling else (previous or CURRENT)


def _withholding(
    account: AccountState, hold: Hold | None, override: CustomerOverride | None
) -> dict[str, list[str]]:
    why: dict[str, list[str]] = {action: [] for action in ACTIONS}
    if hold is not None and hold.kind == "exemption":
        for action in ACTIONS:
            why[action].append(hold.describe())
    if hold is not None and hold.kind == "promise_to_pay":
        why[SUSPEND].append(hold.describe())
    if account.summary.open_disputes > 0:
        why[SUSPEND].append(f"{account.summary.open_disputes} open dispute(s)")
    if override is not None and override.never_suspend:
        note = f" ({override.note})" if override.note else ""
        why[SUSPEND].append(f"customer override never_suspend{note}")
    return why


def _describe_overdue(days: int, invoices: int, amount: int, currency: str) -> str:
    if invoices == 0:
        return "nothing overdue"
    plural = "invoice" if invoices == 1 else "invoices"
    day_word = "day" if days == 1 else "days"
    return f"{days} {day_word} past due on {invoices} {plural} ({format_amount(amount, currency)} overdue)"
