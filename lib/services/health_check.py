"""What `GET /api/health` reports: a real storage round trip, the last run of each timer, poison messages."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from lib.settings import Settings
from lib.store.errors import StoreError
from lib.store.queues import MessageQueue
from lib.store.runs import RunLog
from lib.store.tables import TableStore
from lib.version import version

TIMER_JOBS = ("delinquency_scan", "fraud_events_poll", "reconcile")
# Health must answer fast when storage is down: no SDK retries, short timeouts.
_PROBE_OPTIONS: dict[str, Any] = {"retry_total": 0, "connection_timeout": 3, "read_timeout": 5}


@dataclass
class HealthReport:
    status: str = "ok"  # ok | degraded | unhealthy
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    timers: dict[str, dict[str, Any] | None] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, "version": version(), "checks": self.checks, "timers": self.timers}

    def worsen(self, status: str) -> None:
        order = ("ok", "degraded", "unhealthy")
        if order.index(status) > order.index(self.status):
            self.status = status


def check_health(settings: Settings) -> HealthReport:
    report = HealthReport()
    store = TableStore.from_settings(settings.storage, settings.table_prefix, **_PROBE_OPTIONS)
    started = time.perf_counter()
    try:
        store.ping()
    except StoreError as exc:
        report.checks["storage"] = {"status": "down", "error": str(exc)}
        report.worsen("unhealthy")
        return report
    report.checks["storage"] = {"status": "ok", "latency_ms": round((time.perf_counter() - started) * 1000, 1)}
    _timers(report, RunLog(store.table("runs")))
    _poison(report, settings)
    return report


def _timers(report: HealthReport, runs: RunLog) -> None:
    for job in TIMER_JOBS:
        try:
            last = runs.last(job)
        except StoreError as exc:
            report.timers[job] = {"status": "unknown", "error": str(exc)}
            report.worsen("degraded")
            continue
        report.timers[job] = last.as_json() if last else None
        if last is not None and last.status in ("failed", "stopped"):
            # A failed run, or a scan stopped by the blast-radius cap, needs a person's eyes.
            report.worsen("degraded")


def _poison(report: HealthReport, settings: Settings) -> None:
    queue = MessageQueue.from_settings(settings.storage, settings.service_requests_queue)
    try:
        waiting = queue.approximate_count()
        poisoned = queue.approximate_count(poison=True)
    except StoreError:
        report.checks["service_requests_queue"] = {"status": "not created yet"}
        return
    report.checks["service_requests_queue"] = {"status": "ok" if poisoned == 0 else "poison",
                                               "waiting": waiting, "poison": poisoned}
    if poisoned:
        report.worsen("degraded")
