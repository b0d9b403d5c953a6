"""The `accounts` table: the scan's index, one small row per customer spread over 16 partitions.

Three writers touch a row, each with its own properties, so MERGE keeps them apart: ingestion writes the ledger
summary copy (only ever forward, by summary version, ETag-guarded), operators write the hold, and the scan writes
the stage. The scan reads the 16 partitions concurrently and streams rows through a bounded buffer, so memory stays
flat however many customers there are.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from lib.domain.policy import Hold
from lib.domain.summary import LedgerSummary
from lib.store.entities import Record, Value
from lib.store.errors import ConcurrencyConflict
from lib.store.summary_codec import summary_from_record, summary_to_values
from lib.store.tables import MAX_BATCH, Operation, Table, upsert

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BUCKET_COUNT = 16
BUCKETS = tuple(f"b{i:02d}" for i in range(BUCKET_COUNT))
_CONFLICT_RETRIES = 8


def bucket_of(customer_id: str) -> str:
    # A stable hash (not Python's salted hash()) so every process puts a customer in the same partition.
    digest = hashlib.sha256(customer_id.encode("utf-8")).digest()
    return BUCKETS[int.from_bytes(digest[:4], "big") % BUCKET_COUNT]


@dataclass(frozen=True)
class AccountRow:
    customer_id: str
    summary: LedgerSummary
    hold: Hold | None
    stage: str | None
    stage_since: datetime | None
    suspended_for_non_payment: bool
    enforcing_until: datetime | None = None  # a scan is deciding this customer's access until then
    etag: str | None = None
    # A fact was recorded but could not be re-evaluated at once (e.g. the policy would not load): the next scan
    # acts on this customer whatever its stage, and its decision clears the mark.
    reevaluate: bool = False
    agenda_date: str | None = None  # the `agenda` partition the customer is filed under (lib/store/agenda.py)

    def enforcing(self, now: datetime) -> bool:
        return self.enforcing_until is not None and self.enforcing_until > now


class Accounts:
    """One per process: it remembers the row it last wrote or read for each customer (with its ETag), so the
    steady state is one conditional write per event; any other writer changes the ETag and forces a re-read, which
    is also how an ingesting process learns that a scan has marked or suspended the customer."""

    def __init__(self, table: Table, *, cache_size: int = 8192,
                 on_change: Callable[[str], object] | None = None) -> None:
        # Re-files the customer on the scan's agenda after a write that changes what a scan decides (a hold, the
        # non-payment suspension flag, a mark for re-evaluation); ingestion and the scan re-file their own writes.
        self._on_change = on_change
        self._table = table
        self._written: OrderedDict[str, AccountRow] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def get(self, customer_id: str) -> AccountRow | None:
        record = self._table.get(bucket_of(customer_id), customer_id)
        return account_from_record(record) if record else None

    def apply_summary(self, customer_id: str, summary: LedgerSummary) -> AccountRow:
        """Copies a ledger summary into the index unless a newer one is there; returns the row as it now stands.

        A redelivered webhook calls this again with the same version, which is how a crash between the ledger
        transaction and this write heals.
        """
        values: dict[str, Value] = {**summary_to_values(summary), "updated_at": datetime.now(UTC)}
        partition = bucket_of(customer_id)
        remembered = self._remembered(customer_id)
        if remembered is not None and remembered.etag:
            if remembered.summary.version >= summary.version:
                return remembered
            try:
                written = self._table.update_if_match(Record(partition, customer_id, etag=remembered.etag), values,
                                                      replace=False)
                return self._remember(replace(remembered, summary=summary, etag=written.etag))
            except ConcurrencyConflict:
                self._forget(customer_id)  # someone else wrote the row: fall through to read and compare
        for _ in range(_CONFLICT_RETRIES):
            current = self._table.get(partition, customer_id)
            try:
                if current is None:
                    written = self._table.insert(partition, customer_id, values)
                    row = AccountRow(customer_id, summary, None, None, None, False, None, written.etag)
                    return self._remember(row)
                row = account_from_record(current)
                if row.summary.version >= summary.version:
                    return self._remember(row)
                written = self._table.update_if_match(current, values, replace=False)
            except ConcurrencyConflict:
                continue  # another writer got there first; re-read and compare versions again
            return self._remember(replace(row, summary=summary, etag=written.etag))
        raise ConcurrencyConflict(f"accounts row for {customer_id} kept changing; gave up after retries")

    def mark_suspended_for_non_payment(self, customer_id: str, held: bool) -> None:
        self._forget(customer_id)
        self._table.upsert(bucket_of(customer_id), customer_id, {"suspended_for_non_payment": held})
        if self._on_change is not None:
            self._on_change(customer_id)

    def mark_for_reevaluation(self, customer_id: str, *, reason: str) -> None:
        self._forget(customer_id)
        self._table.upsert(bucket_of(customer_id), customer_id, {
            "reevaluate": True, "reevaluate_reason": reason[:1000], "reevaluate_since": datetime.now(UTC)})
        if self._on_change is not None:
            self._on_change(customer_id)

    def mark_enforcing(self, customer_id: str, *, until: datetime) -> None:
        """Tells ingesting processes that a scan is deciding this customer (their cached ETag goes stale)."""
        self._forget(customer_id)
        self._table.upsert(bucket_of(customer_id), customer_id, {"enforcing_until": until})

    def set_agenda_dates(self, keys: Mapping[str, str]) -> None:
        """Many customers' agenda dates at once (the scan re-filing what it read), in batches per partition."""
        by_bucket: dict[str, list[Operation]] = {}
        for customer_id, key in keys.items():
            self._forget(customer_id)
            by_bucket.setdefault(bucket_of(customer_id), []).append(
                upsert(bucket_of(customer_id), customer_id, {"agenda_date": key}))
        for operations in by_bucket.values():
            for start in range(0, len(operations), MAX_BATCH):
                self._table.transact(operations[start:start + MAX_BATCH])

    def _remembered(self, customer_id: str) -> AccountRow | None:
        with self._lock:
            return self._written.get(customer_id)

    def _remember(self, row: AccountRow) -> AccountRow:
        if row.etag:
            with self._lock:
                self._written[row.customer_id] = row
                self._written.move_to_end(row.customer_id)
                while len(self._written) > self._cache_size:
                    self._written.popitem(last=False)
        return row

    def _forget(self, customer_id: str) -> None:
        with self._lock:
            self._written.pop(customer_id, None)

    def set_hold(self, customer_id: str, hold: Hold, *, actor: str) -> None:
        self._forget(customer_id)
        self._table.upsert(bucket_of(customer_id), customer_id, {
            "hold_kind": hold.kind, "hold_until": hold.until.isoformat(), "hold_note": hold.note,
            "hold_set_by": actor, "hold_set_at": datetime.now(UTC),
        })
        if self._on_change is not None:
            self._on_change(customer_id)

    def clear_hold(self, customer_id: str, *, actor: str) -> None:
        # MERGE cannot remove a property, so an empty kind means "no hold".
        self._forget(customer_id)
        self._table.upsert(bucket_of(customer_id), customer_id, {
            "hold_kind": "", "hold_until": "", "hold_note": "", "hold_set_by": actor, "hold_set_at": datetime.now(UTC),
        })
        if self._on_change is not None:
            self._on_change(customer_id)

    def set_agenda_date(self, customer_id: str, key: str) -> None:
        """Records where the customer is filed on the agenda ("" for nowhere). Guarded by the remembered ETag
        when there is one, so the ingesting process keeps its one-write-per-event steady state."""
        remembered = self._remembered(customer_id)
        if remembered is not None and remembered.etag:
            try:
                written = self._table.update_if_match(Record(bucket_of(customer_id), customer_id,
                                                             etag=remembered.etag), {"agenda_date": key},
                                                      replace=False)
                self._remember(replace(remembered, agenda_date=key or None, etag=written.etag))
                return
            except ConcurrencyConflict:
                pass  # someone else wrote the row; a plain merge below is still right for this one property
        self._forget(customer_id)
        self._table.upsert(bucket_of(customer_id), customer_id, {"agenda_date": key})

    def set_stage(self, customer_id: str, stage: str, *, since: datetime,
                  suspended_for_non_payment: bool | None = None) -> None:
        """Records the scan's decision and ends its enforcing mark (MERGE cannot delete, so the mark is set to
        the past)."""
        values: dict[str, Value] = {"stage": stage, "stage_since": since, "enforcing_until": _EPOCH,
                                    "reevaluate": False}
        if suspended_for_non_payment is not None:
            values["suspended_for_non_payment"] = suspended_for_non_payment
        self._forget(customer_id)
        self._table.upsert(bucket_of(customer_id), customer_id, values)

    def scan(self, *, page_size: int = 1000, buffer_pages: int = 4) -> Iterator[AccountRow]:
        """Every account, reading the 16 partitions concurrently; rows arrive in no particular order."""
        return _ParallelScan(self._table, page_size, buffer_pages).rows()


def account_from_record(record: Record) -> AccountRow:
    return AccountRow(
        customer_id=record.row_key,
        summary=summary_from_record(record),
        hold=_hold(record),
        stage=record.text("stage") or None,
        stage_since=record.moment("stage_since"),
        suspended_for_non_payment=bool(record.get("suspended_for_non_payment", False)),
        enforcing_until=record.moment("enforcing_until"),
        etag=record.etag,
        reevaluate=record.get("reevaluate") is True,
        agenda_date=record.text("agenda_date") or None,
    )


def _hold(record: Record) -> Hold | None:
    kind = record.text("hold_kind")
    until = record.text("hold_until")
    if not until:
        return None
    if kind == "exemption":
        return Hold(kind="exemption", until=date.fromisoformat(until), note=record.text("hold_note"))
    if kind == "promise_to_pay":
        return Hold(kind="promise_to_pay", until=date.fromisoformat(until), note=record.text("hold_note"))
    return None


_DONE = object()


class _ParallelScan:
    def __init__(self, table: Table, page_size: int, buffer_pages: int) -> None:
        self._table = table
        self._page_size = page_size
        self._buffer: queue.Queue[object] = queue.Queue(maxsize=buffer_pages * BUCKET_COUNT)
        self._stop = threading.Event()

    def rows(self) -> Iterator[AccountRow]:
        with ThreadPoolExecutor(max_workers=BUCKET_COUNT, thread_name_prefix="accounts-scan") as pool:
            futures = [pool.submit(self._read, bucket) for bucket in BUCKETS]
            finished = 0
            try:
                while finished < BUCKET_COUNT:
                    item = self._buffer.get()
                    if item is _DONE:
                        finished += 1
                    elif isinstance(item, BaseException):
                        raise item
                    else:
                        assert isinstance(item, list)
                        yield from item
            finally:
                self._stop.set()
                while not self._buffer.empty():  # unblock readers so the pool can shut down
                    self._buffer.get_nowait()
                for future in futures:
                    future.cancel()

    def _read(self, bucket: str) -> None:
        try:
            batch: list[AccountRow] = []
            for record in self._table.partition(bucket, page_size=self._page_size):
                if self._stop.is_set():
                    return
                batch.append(account_from_record(record))
                if len(batch) >= self._page_size:
                    self._put(batch)
                    batch = []
            if batch:
                self._put(batch)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            self._put(exc)
        finally:
            self._put(_DONE)

    def _put(self, item: object) -> None:
        while not self._stop.is_set():
            try:
                self._buffer.put(item, timeout=0.2)
                return
            except queue.Full:
                continue
