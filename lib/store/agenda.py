"""The `agenda` table: which customers the daily scan must look at on which local date.

PartitionKey is the local date `YYYYMMDD` (policy time zone), RowKey the customer id. The scan reads every partition
up to its own date with one range query, so a partition an earlier run left undone is read again without being
named. `ASAP` sorts before every date: a customer filed there is looked at by the next scan, whatever its date
(e.g. the policy could not be loaded when its event arrived).

The accounts row keeps the date the customer is filed under (`agenda_date`), so moving it removes exactly the old
row. A stray row (a crash between writing the new row and removing the old one) only costs one extra evaluation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime

from lib.store.errors import EntityNotFound
from lib.store.tables import MAX_BATCH, Operation, Table, delete, upsert

ASAP = "00000000"


def day_key(day: date) -> str:
    return day.strftime("%Y%m%d")


class Agenda:
    def __init__(self, table: Table) -> None:
        self._table = table

    def file(self, customer_id: str, key: str) -> None:
        self._table.upsert(key, customer_id, {"filed_at": datetime.now(UTC)})

    def remove(self, key: str, customer_id: str) -> None:
        try:
            self._table.delete(key, customer_id)
        except EntityNotFound:
            return  # already gone: another writer moved or consumed it

    def file_many(self, entries: Iterable[tuple[str, str]]) -> None:
        """(date key, customer id) pairs, written in entity-group batches of up to 100 per date."""
        now = datetime.now(UTC)
        for batch in _batches(upsert(key, cid, {"filed_at": now}) for key, cid in entries):
            self._table.transact(batch)

    def remove_many(self, entries: Iterable[tuple[str, str]]) -> None:
        for batch in _batches(delete(key, cid) for key, cid in entries):
            try:
                self._table.transact(batch)
            except EntityNotFound:  # one row already gone fails the batch: remove the others one by one
                for op in batch:
                    self.remove(op.partition_key, op.row_key)

    def due(self, through: str, *, page_size: int = 1000) -> Iterator[tuple[str, str]]:
        """(date key, customer id) of every row filed on or before `through`, oldest date first."""
        for record in self._table.query("PartitionKey le @through", {"through": through}, page_size=page_size,
                                        select=("PartitionKey", "RowKey")):
            yield record.partition_key, record.row_key


def _batches(operations: Iterable[Operation]) -> Iterator[list[Operation]]:
    by_partition: dict[str, list[Operation]] = defaultdict(list)
    for op in operations:
        by_partition[op.partition_key].append(op)
    for ops in by_partition.values():
        for start in range(0, len(ops), MAX_BATCH):
            yield ops[start:start + MAX_BATCH]
