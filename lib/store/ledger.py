"""The `ledger` table: each customer's book in its own partition, written one event per transaction.

Rows: the facts (`inv:…`, `pay:…`, `dsp:…`, `ref:…`, `crd:…`, `fail:…`, `void:…`), one `evt:{provider}:{id}` mark per
delivery, and `summary`. Every transaction that changes facts also replaces the summary with If-Match on the ETag
it was computed from, so the summary's ETag stamps the whole partition. That lets a process keep recently used books
in memory: a write made from a stale copy fails its If-Match, the copy is dropped and the book re-read. In the
steady state one event costs one transaction.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lib.domain.events import Fact, fact_from_record, fact_to_record
from lib.domain.summary import LedgerSummary
from lib.store.entities import Record, Value
from lib.store.summary_codec import summary_from_record, summary_to_values
from lib.store.tables import Operation, Table, create, replace_if_match, upsert

SUMMARY_KEY = "summary"
MARK_PREFIX = "evt:"
# Marks sort between the fact prefixes; skipping "evt:" .. "evt;" reads facts and summary without the marks.
# The SDK substitutes @names between spaces, hence the spaced parentheses.
_FACTS_AND_SUMMARY = "PartitionKey eq @pk and ( RowKey lt @evt_start or RowKey ge @evt_end )"


@dataclass(frozen=True)
class LedgerSnapshot:
    customer_id: str
    facts: Mapping[str, Fact] = field(default_factory=dict)  # by row key
    summary: LedgerSummary = field(default_factory=LedgerSummary)
    summary_etag: str | None = None  # None: the customer has no summary row yet

    @property
    def exists(self) -> bool:
        return self.summary_etag is not None


@dataclass(frozen=True)
class EventMark:
    provider: str
    event_id: str
    type: str
    occurred_at: datetime
    status: str  # recorded | ignored
    fact_keys: tuple[str, ...] = ()

    @property
    def row_key(self) -> str:
        return f"{MARK_PREFIX}{self.provider}:{self.event_id}"

    def values(self) -> dict[str, Value]:
        return {"provider": self.provider, "event_id": self.event_id, "type": self.type,
                "occurred_at": self.occurred_at, "status": self.status, "fact_keys": ",".join(self.fact_keys),
                "received_at": datetime.now(UTC)}


class LedgerBook:
    def __init__(self, table: Table, *, cache_size: int = 4096) -> None:
        self._table = table
        self._cache: OrderedDict[str, LedgerSnapshot] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def load(self, customer_id: str, *, fresh: bool = False) -> LedgerSnapshot:
        if not fresh:
            with self._lock:
                cached = self._cache.get(customer_id)
                if cached is not None:
                    self._cache.move_to_end(customer_id)
                    return cached
        snapshot = self._read(customer_id)
        self._remember(snapshot)
        return snapshot

    def has_mark(self, customer_id: str, mark_key: str) -> bool:
        return self._table.get(customer_id, mark_key) is not None

    def record(self, snapshot: LedgerSnapshot, mark: EventMark, facts: Sequence[Fact],
               summary: LedgerSummary) -> LedgerSnapshot:
        """One transaction: the mark, the changed facts, the new summary (If-Match the snapshot's ETag).

        Raises ConcurrencyConflict when the mark exists already (a duplicate delivery) or the summary moved on;
        either way nothing was written and the cached copy is dropped.
        """
        customer = snapshot.customer_id
        operations: list[Operation] = [create(customer, mark.row_key, mark.values())]
        operations += [upsert(customer, fact.row_key, fact_to_record(fact), replace=True) for fact in facts]
        summary_values = {**summary_to_values(summary), "updated_at": datetime.now(UTC)}
        if snapshot.summary_etag is None:
            operations.append(create(customer, SUMMARY_KEY, summary_values))
        else:
            operations.append(replace_if_match(Record(customer, SUMMARY_KEY, etag=snapshot.summary_etag),
                                               summary_values))
        try:
            etags = self._table.transact(operations)
        except Exception:
            self.forget(customer)
            raise
        updated = LedgerSnapshot(customer, {**snapshot.facts, **{f.row_key: f for f in facts}}, summary, etags[-1])
        self._remember(updated)
        return updated

    def record_mark_only(self, customer_id: str, mark: EventMark) -> None:
        """An acknowledged event that changes nothing in the book; ConcurrencyConflict if seen before."""
        self._table.insert(customer_id, mark.row_key, mark.values())

    def replace_summary(self, snapshot: LedgerSnapshot, summary: LedgerSummary) -> LedgerSnapshot:
        """Writes a recomputed summary (rebuild-summaries) with the same ETag guard as events."""
        values = {**summary_to_values(summary), "updated_at": datetime.now(UTC)}
        if snapshot.summary_etag is None:
            record = self._table.insert(snapshot.customer_id, SUMMARY_KEY, values)
        else:
            record = self._table.update_if_match(Record(snapshot.customer_id, SUMMARY_KEY,
                                                        etag=snapshot.summary_etag), values)
        updated = LedgerSnapshot(snapshot.customer_id, snapshot.facts, summary, record.etag)
        self._remember(updated)
        return updated

    def customers(self) -> Iterable[str]:
        """Every customer with a summary row, streamed (for rebuild-summaries)."""
        for record in self._table.query("RowKey eq @rk", {"rk": SUMMARY_KEY}, select=["PartitionKey", "RowKey"]):
            yield record.partition_key

    def forget(self, customer_id: str) -> None:
        with self._lock:
            self._cache.pop(customer_id, None)

    def _read(self, customer_id: str) -> LedgerSnapshot:
        facts: dict[str, Fact] = {}
        summary = LedgerSummary()
        etag: str | None = None
        for record in self._table.query(_FACTS_AND_SUMMARY,
                                        {"pk": customer_id, "evt_start": MARK_PREFIX, "evt_end": "evt;"}):
            if record.row_key == SUMMARY_KEY:
                summary, etag = summary_from_record(record), record.etag
            else:
                facts[record.row_key] = fact_from_record(record.row_key, record.values)
        return LedgerSnapshot(customer_id, facts, summary, etag)

    def _remember(self, snapshot: LedgerSnapshot) -> None:
        if snapshot.summary_etag is None:
            return  # nothing to validate a cached copy against yet
        with self._lock:
            self._cache[snapshot.customer_id] = snapshot
            self._cache.move_to_end(snapshot.customer_id)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
