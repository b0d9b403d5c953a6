"""Fraud and misuse rules: plain data in, findings out. Rules never act; the fraud service decides what a
finding leads to (per the policy's `[fraud]` severities).

Each rule has an id, a severity and evidence in words, so an operator (and the 21Vianet service request) can see
exactly why a customer was flagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from lib.domain.money import format_amount
from lib.domain.policy import FraudThresholds
from lib.domain.summary import LedgerSummary

Severity = Literal["low", "medium", "high"]
SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3}
_ACTIVE = ("active", "investigating")
_CRYPTO = ("cryptomining", "crypto mining", "crypto-mining", "crypto mining alert")


@dataclass(frozen=True)
class Finding:
    rule_id: str
    severity: Severity
    customer_id: str
    evidence: str
    subscription_id: str | None = None
    source_event_id: str | None = None

    def as_json(self) -> dict[str, str | None]:
        return {"rule_id": self.rule_id, "severity": self.severity, "customer_id": self.customer_id,
                "evidence": self.evidence, "subscription_id": self.subscription_id,
                "source_event_id": self.source_event_id}


@dataclass(frozen=True)
class PartnerCenterFraudEvent:
    event_id: str
    subscription_id: str
    event_type: str
    event_status: str
    event_time: datetime
    severity: str = ""


@dataclass(frozen=True)
class FraudSignals:
    customer_id: str
    as_of: datetime
    currency: str = "CNY"
    onboarded_at: datetime | None = None
    partner_center_events: tuple[PartnerCenterFraudEvent, ...] = ()
    current_month_cost: int = 0  # minor units, Partner Center's estimate for this month
    trailing_monthly_costs: tuple[int, ...] = ()
    previous_month_cost: int | None = None
    credit_limit: int | None = None
    summary: LedgerSummary = field(default_factory=LedgerSummary)

    def __post_init__(self) -> None:
        for name in ("as_of", "onboarded_at"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware")


def pc_fraud_event(signals: FraudSignals, thresholds: FraudThresholds) -> list[Finding]:
    findings = []
    for event in signals.partner_center_events:
        if event.event_status.lower() not in _ACTIVE:
            continue
        crypto = event.event_type.lower() in _CRYPTO or "crypto" in event.event_type.lower()
        severity: Severity = "high" if crypto or event.severity.lower() == "high" else "medium"
        findings.append(Finding(
            "pc_fraud_event", severity, signals.customer_id,
            f"Partner Center reported {event.event_type} ({event.event_status}) on subscription "
            f"{event.subscription_id} at {event.event_time.isoformat()}",
            event.subscription_id, event.event_id))
    return findings


def usage_spike(signals: FraudSignals, thresholds: FraudThresholds) -> list[Finding]:
    cost = signals.current_month_cost
    money = format_amount(cost, signals.currency)
    if signals.credit_limit is not None and cost > signals.credit_limit:
        return [Finding("usage_spike", "high", signals.customer_id,
                        f"this month's estimated usage {money} is above the credit limit "
                        f"{format_amount(signals.credit_limit, signals.currency)}")]
    months = [c for c in signals.trailing_monthly_costs if c >= 0]
    if not months:
        return []
    average = Decimal(sum(months)) / Decimal(len(months))
    multiplier = Decimal(str(thresholds.usage_spike_multiplier))
    if average <= 0 or Decimal(cost) <= multiplier * average:
        return []
    return [Finding("usage_spike", "medium", signals.customer_id,
                    f"this month's estimated usage {money} is more than {multiplier}x the trailing average "
                    f"{format_amount(int(average), signals.currency)} over {len(months)} month(s)")]


def new_customer_high_spend(signals: FraudSignals, thresholds: FraudThresholds) -> list[Finding]:
    if signals.onboarded_at is None:
        return []
    age = (signals.as_of - signals.onboarded_at).days
    if age > thresholds.new_customer_days or signals.current_month_cost <= thresholds.new_customer_spend_limit:
        return []
    return [Finding("new_customer_high_spend", "high", signals.customer_id,
                    f"a customer onboarded {age} day(s) ago has run up "
                    f"{format_amount(signals.current_month_cost, signals.currency)}, above the new-customer limit "
                    f"{format_amount(thresholds.new_customer_spend_limit, signals.currency)}")]


def chargeback(signals: FraudSignals, thresholds: FraudThresholds) -> list[Finding]:
    summary = signals.summary
    if summary.open_disputes <= 0:
        return []
    return [Finding("chargeback", "medium", signals.customer_id,
                    f"{summary.open_disputes} open dispute(s) / chargeback(s) for "
                    f"{format_amount(summary.disputed_amount, summary.currency or signals.currency)}")]


def failed_payments_then_spend_jump(signals: FraudSignals, thresholds: FraudThresholds) -> list[Finding]:
    failed = signals.summary.failed_payments
    previous = signals.previous_month_cost
    if failed < thresholds.failed_payments_before_spend_jump or previous is None:
        return []
    if signals.current_month_cost <= 0 or signals.current_month_cost <= 2 * previous:
        return []
    return [Finding("failed_payments_then_spend_jump", "high", signals.customer_id,
                    f"{failed} failed payment(s) since the last successful one, then usage jumped from "
                    f"{format_amount(previous, signals.currency)} to "
                    f"{format_amount(signals.current_month_cost, signals.currency)}")]


RULES = (pc_fraud_event, usage_spike, new_customer_high_spend, chargeback, failed_payments_then_spend_jump)


def evaluate_fraud(signals: FraudSignals, thresholds: FraudThresholds) -> list[Finding]:
    return [finding for rule in RULES for finding in rule(signals, thresholds)]


def actions_for(findings: list[Finding], thresholds: FraudThresholds) -> tuple[bool, bool]:
    """(suspend for fraud, open a 21Vianet service request), per the policy's severities."""
    severities = {f.severity for f in findings}
    return (bool(severities & set(thresholds.suspend_on)), bool(severities & set(thresholds.service_request_on)))


def request_severity(findings: list[Finding]) -> str:
    """Partner Center's service request severity for a set of findings."""
    top = max((SEVERITY_RANK[f.severity] for f in findings), default=1)
    return {3: "Critical", 2: "Moderate"}.get(top, "Minimal")
