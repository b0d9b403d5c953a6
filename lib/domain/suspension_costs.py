"""What keeping a subscription suspended costs the partner, from what csp-guard knows of it.

Pure. The figures are Partner Center's published behaviour for CSP subscriptions, kept here as named constants:
a suspended licence subscription is still billed until its term ends, and a customer's data in a suspended
(disabled) subscription is deleted some 90 days after it was suspended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

DATA_DELETED_AFTER_DAYS = 90
DATA_AT_RISK_AFTER_DAYS = 60  # warn a month before deletion
TERM_END_WARNING_DAYS = 30
USAGE_BILLED_OFFERS = ("azure plan", "microsoft azure")  # usage-billed: nothing accrues while suspended


@dataclass(frozen=True)
class SuspensionCost:
    customer_id: str
    subscription_id: str
    offer_name: str
    reasons: tuple[str, ...]
    days_suspended: int | None
    term_end: date | None
    days_to_term_end: int | None
    still_billed: bool
    data_at_risk: bool
    warnings: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return {"customer_id": self.customer_id, "subscription_id": self.subscription_id,
                "offer_name": self.offer_name, "reasons": list(self.reasons), "days_suspended": self.days_suspended,
                "term_end": self.term_end.isoformat() if self.term_end else None,
                "days_to_term_end": self.days_to_term_end, "still_billed": self.still_billed,
                "data_at_risk": self.data_at_risk, "warnings": list(self.warnings)}


def suspension_cost(customer_id: str, subscription_id: str, offer_name: str, reasons: tuple[str, ...],
                    suspended_at: datetime | None, commitment_end: str | None, now: datetime) -> SuspensionCost:
    days = (now - suspended_at).days if suspended_at else None
    term_end = _date(commitment_end)
    to_term_end = (term_end - now.date()).days if term_end else None
    still_billed = not any(hint in offer_name.lower() for hint in USAGE_BILLED_OFFERS)
    at_risk = days is not None and days >= DATA_AT_RISK_AFTER_DAYS
    warnings = []
    if still_billed:
        warnings.append("still billed to the partner while suspended")
    if to_term_end is not None and 0 <= to_term_end <= TERM_END_WARNING_DAYS:
        warnings.append(f"term ends in {to_term_end} day(s): it expires rather than renews while suspended")
    if at_risk and days is not None:
        warnings.append(f"suspended {days} days: the customer's data is deleted after "
                        f"{DATA_DELETED_AFTER_DAYS} days")
    return SuspensionCost(customer_id, subscription_id, offer_name, reasons, days, term_end, to_term_end,
                          still_billed, at_risk, tuple(warnings))


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None
