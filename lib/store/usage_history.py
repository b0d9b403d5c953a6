"""Each customer's monthly Azure usage as the fraud poll saw it, kept on the customer's `accounts` row.

Partner Center's usage summary covers the current period only; the trailing average the `usage_spike` rule needs
comes from what earlier polls recorded here (the last figure seen in each month, 13 months kept).
"""

from __future__ import annotations

import json

from lib.store.accounts import bucket_of
from lib.store.tables import Table

KEEP_MONTHS = 13


class UsageHistory:
    def __init__(self, table: Table) -> None:
        self._table = table

    def record(self, customer_id: str, month: str, cost: int) -> dict[str, int]:
        """Stores this month's figure and returns the whole history, this month included."""
        row = self._table.get(bucket_of(customer_id), customer_id)
        history: dict[str, int] = json.loads(row.text("usage_history", "{}")) if row else {}
        if history.get(month) != cost:
            history[month] = cost
            history = dict(sorted(history.items())[-KEEP_MONTHS:])
            # A property of its own, merged, so it never disturbs the ledger summary or the scan's stage.
            self._table.upsert(bucket_of(customer_id), customer_id, {"usage_history": json.dumps(history)})
        return history
