"""The blast-radius cap of a scan whose acting was fanned out over the due-customers queue.

Every message the scan sent acts in its own invocation, possibly on several instances at once, so the cap of
MAX_SUSPENSIONS_PER_RUN cannot be a counter in one process: it is a row in `runs` (`budget`, the scan's run id)
holding how many suspensions were taken and refused, and each `take` is a read and an ETag-guarded write, retried on
a conflict. Two workers can never both take the last one. The row outlives the run so an operator can read it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from lib.store.entities import Value
from lib.store.errors import ConcurrencyConflict, StoreError
from lib.store.tables import Table

BUDGET_PARTITION = "budget"
_ATTEMPTS = 50  # a conflict means another worker just took one; 25 suspensions a run keeps this far from reach


class SharedSuspensionBudget:
    """`CapBudget` (lib/services/collections.py) shared by every invocation acting for one scan run."""

    def __init__(self, table: Table, run_id: str, limit: int) -> None:
        self._table = table
        self._run_id = run_id
        self.limit = limit
        self.used = 0
        self.refused = 0
        self._refused_here = False
        self._first_refusal = False

    def take(self) -> bool:
        for _ in range(_ATTEMPTS):
            record = self._table.get(BUDGET_PARTITION, self._run_id)
            used = record.integer("used") if record else 0
            refused = record.integer("refused") if record else 0
            granted = used < self.limit
            used, refused = used + int(granted), refused + int(not granted)
            values: dict[str, Value] = {"used": used, "refused": refused, "limit": self.limit,
                                        "updated_at": datetime.now(UTC)}
            try:
                if record is None:
                    self._table.insert(BUDGET_PARTITION, self._run_id, values)
                else:
                    self._table.update_if_match(record, values)
            except ConcurrencyConflict:
                continue  # another worker wrote first: read again and decide again
            self.used, self.refused = used, refused
            if not granted:
                self._first_refusal = self._first_refusal or refused == 1
                self._refused_here = True
            return granted
        raise StoreError(f"the suspension budget of run {self._run_id} stayed contended after {_ATTEMPTS} attempts")

    @property
    def exhausted(self) -> bool:
        return self._refused_here

    @property
    def announces(self) -> bool:
        return self._first_refusal
