"""`GET /api/reports/suspensions`: every subscription csp-guard holds suspended, and what that costs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lib.domain.suspension_costs import suspension_cost
from lib.store.subscriptions import Subscriptions


def suspension_report(subscriptions: Subscriptions, now: datetime) -> dict[str, Any]:
    costs = [suspension_cost(s.customer_id, s.subscription_id, s.offer_name, tuple(sorted(s.reasons)),
                             s.suspended_at, s.commitment_end, now)
             for s in subscriptions.all() if s.pc_status == "suspended" and (s.reasons or s.suspended_by_us)]
    costs.sort(key=lambda c: (-(c.days_suspended or 0), c.customer_id))
    return {"as_of": now.isoformat(), "suspended": len(costs),
            "still_billed": sum(c.still_billed for c in costs),
            "data_at_risk": sum(c.data_at_risk for c in costs),
            "term_ending": sum(any("term ends" in w for w in c.warnings) for c in costs),
            "items": [c.as_json() for c in costs]}
