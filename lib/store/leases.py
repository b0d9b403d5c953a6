"""Leases in the `runs` table, so two instances never run the same job at once.

A lease is a row (`lease`, job) holding its holder and expiry; taking it is an insert, or an ETag-guarded
update once the previous holder's lease has expired (a crashed run does not block the next one for long).
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lib.store.entities import Record, Value
from lib.store.errors import ConcurrencyConflict, EntityNotFound
from lib.store.tables import Table

LEASE_PARTITION = "lease"


@dataclass(frozen=True)
class Lease:
    job: str
    holder: str
    expires_at: datetime
    etag: str | None


class LeaseHeld(RuntimeError):
    """Another run holds the lease."""

    def __init__(self, job: str, holder: str, expires_at: datetime | None) -> None:
        until = expires_at.isoformat() if expires_at else "unknown"
        super().__init__(f"{job} is already running ({holder}, lease until {until})")
        self.holder = holder


class Leases:
    def __init__(self, table: Table) -> None:
        self._table = table

    def acquire(self, job: str, *, duration: timedelta, holder: str | None = None,
                now: datetime | None = None) -> Lease:
        now = now or datetime.now(UTC)
        holder = holder or uuid.uuid4().hex
        values: dict[str, Value] = {"holder": holder, "expires_at": now + duration, "acquired_at": now}
        current = self._table.get(LEASE_PARTITION, job)
        try:
            if current is None:
                written = self._table.insert(LEASE_PARTITION, job, values)
            else:
                expires = current.moment("expires_at")
                held_by = current.text("holder")
                if expires is not None and expires > now and held_by and held_by != holder:
                    raise LeaseHeld(job, held_by, expires)
                written = self._table.update_if_match(current, values)
        except ConcurrencyConflict:
            latest = self._table.get(LEASE_PARTITION, job)
            if latest is not None and latest.text("holder") == holder:
                # Our own write landed although its answer was lost (a reset connection): the lease is ours.
                return Lease(job, holder, now + duration, latest.etag)
            raise LeaseHeld(job, latest.text("holder") if latest else "unknown",
                            latest.moment("expires_at") if latest else None) from None
        return Lease(job, holder, now + duration, written.etag)

    def release(self, lease: Lease) -> None:
        # If it expired and someone else took it, it is theirs now: nothing to release.
        with contextlib.suppress(ConcurrencyConflict, EntityNotFound):
            self._table.update_if_match(Record(LEASE_PARTITION, lease.job, etag=lease.etag),
                                        {"holder": "", "expires_at": datetime.now(UTC)})


class CustomerLocks:
    """Serialises the operations that change a customer's access (suspend, restore, a scan's decision).

    Held for seconds, with an expiry so a crashed holder cannot block a customer for long.
    """

    def __init__(self, leases: Leases, *, duration: timedelta = timedelta(minutes=2),
                 wait: timedelta = timedelta(seconds=60), sleep: Callable[[float], None] = time.sleep) -> None:
        self._leases = leases
        self._duration = duration
        self._wait = wait
        self._sleep = sleep

    @contextlib.contextmanager
    def hold(self, customer_id: str) -> Iterator[Lease]:
        deadline = time.monotonic() + self._wait.total_seconds()
        delay = 0.05
        while True:
            try:
                lease = self._leases.acquire(f"customer:{customer_id}", duration=self._duration)
                break
            except LeaseHeld:
                if time.monotonic() >= deadline:
                    raise
                self._sleep(delay)
                delay = min(delay * 2, 1.0)
        try:
            yield lease
        finally:
            self._leases.release(lease)
