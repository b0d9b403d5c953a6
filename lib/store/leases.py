"""Leases in the `runs` table, so two instances never run the same job at once.

A lease is a row (`lease`, job) holding its holder and expiry; taking it is an insert, or an ETag-guarded
update once the previous holder's lease has expired (a crashed run does not block the next one for long). Releasing
it deletes the row (ETag-guarded), so the next taker's insert is its only round trip.

A lease cannot silently expire under work that is still going on: `LeaseKeeper` renews it (ETag-guarded, every
third of its duration) for as long as the work holds it, and marks it lost the moment a renewal finds someone else
holds it or the lease ran out unrenewed. Work checks `ensure_held` before each write to the outside (the write gate
does, for the customer it writes about) and stops with LeaseLost.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lib.store.entities import Record, Value
from lib.store.errors import ConcurrencyConflict, EntityNotFound, StoreError
from lib.store.tables import Table

log = logging.getLogger("csp_guard.leases")
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


class LeaseLost(RuntimeError):
    """The lease ran out or was taken by another holder while the work went on: the work must stop."""


class Leases:
    def __init__(self, table: Table) -> None:
        self._table = table

    def acquire(self, job: str, *, duration: timedelta, holder: str | None = None,
                now: datetime | None = None) -> Lease:
        now = now or datetime.now(UTC)
        holder = holder or uuid.uuid4().hex
        values: dict[str, Value] = {"holder": holder, "expires_at": now + duration, "acquired_at": now}
        for _ in range(3):
            try:
                # A released lease is deleted, so a free one costs one insert: every customer's lock is taken this
                # way on each suspend, restore and scan decision.
                written = self._table.insert(LEASE_PARTITION, job, values)
                return Lease(job, holder, now + duration, written.etag)
            except ConcurrencyConflict:
                current = self._table.get(LEASE_PARTITION, job)
            if current is None:
                continue  # released between the insert and the read: try the insert again
            held_by, expires = current.text("holder"), current.moment("expires_at")
            if expires is not None and expires > now and held_by and held_by != holder:
                raise LeaseHeld(job, held_by, expires)
            # Expired (its holder crashed), a row from before releases deleted, or ours already (our insert landed
            # although its answer was lost, and was retried): take it, with this expiry.
            try:
                written = self._table.update_if_match(current, values)
            except EntityNotFound:
                continue  # released meanwhile: the insert again
            except ConcurrencyConflict:
                latest = self._table.get(LEASE_PARTITION, job)
                if latest is not None and latest.text("holder") == holder:
                    return Lease(job, holder, now + duration, latest.etag)
                raise LeaseHeld(job, latest.text("holder") if latest else "unknown",
                                latest.moment("expires_at") if latest else None) from None
            return Lease(job, holder, now + duration, written.etag)
        raise LeaseHeld(job, "unknown", None)

    def renew(self, lease: Lease, *, duration: timedelta, now: datetime | None = None) -> Lease:
        """Extends a lease still ours (ETag-guarded); LeaseLost if anyone else wrote the row since."""
        now = now or datetime.now(UTC)
        try:
            written = self._table.update_if_match(Record(LEASE_PARTITION, lease.job, etag=lease.etag),
                                                  {"holder": lease.holder, "expires_at": now + duration},
                                                  replace=False)
        except (ConcurrencyConflict, EntityNotFound):
            raise LeaseLost(f"lease {lease.job} was taken by another holder") from None
        return Lease(lease.job, lease.holder, now + duration, written.etag)

    def release(self, lease: Lease) -> None:
        # Deleted only if still ours (ETag): if it expired and someone else took it, it is theirs now.
        with contextlib.suppress(ConcurrencyConflict, EntityNotFound):
            self._table.delete(LEASE_PARTITION, lease.job, etag=lease.etag)


class LeaseKeeper:
    """Renews one lease on a background thread while the work holding it runs; `lost` is set when it is not
    ours any more. Storage errors during a renewal are retried until the lease would have run out."""

    def __init__(self, leases: Leases, lease: Lease, duration: timedelta) -> None:
        self._leases = leases
        self.lease = lease
        self._duration = duration
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{lease.job}"[:60], daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self._duration.total_seconds())
        if not self.lost.is_set():
            self._leases.release(self.lease)

    def ensure_held(self) -> None:
        if self.lost.is_set() or self.lease.expires_at <= datetime.now(UTC):
            self.lost.set()
            raise LeaseLost(f"lease {self.lease.job} is no longer held; stopping")

    def _run(self) -> None:
        interval = self._duration.total_seconds() / 3
        while not self._stop.wait(interval):
            try:
                self.lease = self._leases.renew(self.lease, duration=self._duration)
            except LeaseLost:
                log.error("lease %s lost to another holder", self.lease.job)
                self.lost.set()
                return
            except StoreError as exc:
                if self.lease.expires_at <= datetime.now(UTC):
                    log.error("lease %s ran out: could not renew it (%s)", self.lease.job, exc)
                    self.lost.set()
                    return
                log.warning("lease %s: renewal failed, will retry: %s", self.lease.job, exc)


# The customer locks the current thread holds, so a write can check its customer's lock is still ours.
_held: contextvars.ContextVar[dict[str, LeaseKeeper] | None] = contextvars.ContextVar("customer_locks", default=None)


def ensure_customer_lock(customer_id: str) -> None:
    """LeaseLost if this thread holds the customer's lock and it was lost (no-op when it holds none)."""
    keeper = (_held.get() or {}).get(customer_id)
    if keeper is not None:
        keeper.ensure_held()


class CustomerLocks:
    """Serialises the operations that change a customer's access (suspend, restore, a scan's decision, a fraud
    review, a service request).

    The lock lasts `duration` and is renewed while held, so one Partner Center call retrying for up to 120 s
    cannot outlive it; a crashed holder blocks the customer for at most `duration`.
    """

    def __init__(self, leases: Leases, *, duration: timedelta = timedelta(minutes=2),
                 wait: timedelta = timedelta(seconds=60), sleep: Callable[[float], None] = time.sleep) -> None:
        self._leases = leases
        self._duration = duration
        self._wait = wait
        self._sleep = sleep

    @contextlib.contextmanager
    def hold(self, customer_id: str) -> Iterator[LeaseKeeper]:
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
        held = dict(_held.get() or {})
        with LeaseKeeper(self._leases, lease, self._duration) as keeper:
            token = _held.set({**held, customer_id: keeper})
            try:
                yield keeper
            finally:
                _held.reset(token)
