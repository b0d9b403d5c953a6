"""When the fraud poll last read each customer's usage, and when a read last led to a finding.

One small row per customer in the `runs` table's `usage_reads` partition: the poll reads it whole once per run (one
partition, only the two times selected) to plan its reads, and writes what it read in entity-group batches, so a
run that stops early (a 429, a crash) has recorded everything it finished and the next run resumes from there.
The rows also remember every customer a listing found, so runs between two listings need not list again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from lib.domain.usage_read_schedule import UsageReadState
from lib.store.tables import MAX_BATCH, Operation, Table, upsert

PARTITION = "usage_reads"


class UsageReads:
    def __init__(self, table: Table) -> None:
        self._table = table

    def all(self) -> dict[str, UsageReadState]:
        return {record.row_key: UsageReadState(record.row_key, record.moment("last_read"),
                                               record.moment("last_finding"))
                for record in self._table.query("PartitionKey eq @pk", {"pk": PARTITION},
                                                select=("PartitionKey", "RowKey", "last_read", "last_finding"))}

    def add(self, customer_ids: Iterable[str], *, seen_at: datetime) -> None:
        """Customers a listing found: known from now on, read or not (a merge keeps what is recorded)."""
        self._transact([upsert(PARTITION, cid, {"seen_at": seen_at}) for cid in customer_ids])

    def record(self, states: Iterable[UsageReadState]) -> None:
        self._transact([upsert(PARTITION, s.customer_id, _values(s.last_read, s.last_finding)) for s in states])

    def _transact(self, rows: list[Operation]) -> None:
        for start in range(0, len(rows), MAX_BATCH):
            self._table.transact(rows[start:start + MAX_BATCH])


def _values(last_read: datetime | None, last_finding: datetime | None) -> dict[str, datetime]:
    values = {"last_read": last_read} if last_read else {}
    return {**values, "last_finding": last_finding} if last_finding else values
