"""Running the jobs: a timer's invocation, and a scan an operator asks for (possibly for another day).

A run that finds another holding its lease is not a failure for a timer (the other run does the work), but an
operator asking for a scan is told so. A real scan for a day after today would act on debts not yet due, so it is
refused unless `ALLOW_FUTURE_AS_OF` is set for a replay; a past day re-runs a missed scan. A preview may look at any
day, since it changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from lib.domain.policy import CollectionsPolicy
from lib.services.delinquency_scan import ScanReport
from lib.store.leases import LeaseHeld
from lib.structured_logging import invocation_context

log = logging.getLogger("csp_guard.jobs")


class Scan(Protocol):
    """The daily scan (the agenda's, lib/services/scan_agenda.py) or a scan over given rows."""

    def run(self, as_of: datetime, *, actor: str = ..., correlation_id: str | None = None) -> ScanReport: ...


class ScanRunning(RuntimeError):
    """Another scan holds the lease; this one did nothing."""


class FutureScanRefused(ValueError):
    """A real scan was asked for a day after today (in the policy's time zone) without ALLOW_FUTURE_AS_OF."""


def run_timer_job(job: str, past_due: bool, run: Callable[[str], dict[str, Any]]) -> dict[str, Any] | None:
    """One timer invocation under its own correlation id; the run's counts, or None when another run held the lease."""
    with invocation_context(job) as correlation_id:
        if past_due:
            log.warning("%s is running late (past due)", job)
        try:
            counts = run(correlation_id)
        except LeaseHeld as exc:
            log.warning("%s skipped: %s", job, exc)
            return None
        log.info("%s: %s", job, counts)
        return counts


def run_scan_now(scan: Scan, as_of: datetime, *, now: datetime, policy: CollectionsPolicy,
                 allow_future: bool, actor: str) -> ScanReport:
    check_scan_day(as_of, now=now, policy=policy, allow_future=allow_future)
    try:
        return scan.run(as_of, actor=actor)
    except LeaseHeld as exc:
        raise ScanRunning(str(exc)) from exc


def check_scan_day(as_of: datetime, *, now: datetime, policy: CollectionsPolicy, allow_future: bool) -> None:
    day, today = as_of.astimezone(policy.zone).date(), now.astimezone(policy.zone).date()
    if day > today and not allow_future:
        raise FutureScanRefused(f"as_of {day.isoformat()} is after today ({today.isoformat()} in {policy.timezone}); "
                                "a real scan cannot look ahead (preview can, or set ALLOW_FUTURE_AS_OF=true for a "
                                "replay)")
