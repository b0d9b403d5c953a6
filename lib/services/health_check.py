"""What `GET /api/health` reports: a real storage round trip, the last run of each timer, poison messages."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lib.partner_center.errors import PartnerCenterError
from lib.partner_center.factory import build_client
from lib.partner_center.retry import RetryPolicy
from lib.services.suspension_report import suspension_report
from lib.settings import Settings
from lib.store.errors import StoreError
from lib.store.queues import MessageQueue
from lib.store.runs import RunLog
from lib.store.subscriptions import Subscriptions
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
    _suspensions(report, Subscriptions(store.table("subscriptions")))
    _partner_center(report, settings)
    return report


_PC_CACHE: dict[str, tuple[float, dict[str, Any]]] = {}
_PC_CACHE_SECONDS = 60.0  # a health probe every few seconds must not become Partner Center traffic


def _partner_center(report: HealthReport, settings: Settings) -> None:
    cached = _PC_CACHE.get(settings.partner_center.base_url)
    if cached is not None and time.monotonic() - cached[0] < _PC_CACHE_SECONDS:
        check = cached[1]
    else:
        try:
            client = build_client(settings.partner_center)
            client.retry = RetryPolicy(total=0, timeout=5, connect_timeout=3, read_timeout=5)
            check = {"status": "ok", "latency_ms": round(client.ping() * 1000, 1)}
        except (PartnerCenterError, ValueError, OSError) as exc:
            check = {"status": "unreachable", "error": str(exc)[:300]}
        except Exception as exc:
            check = {"status": "unreachable", "error": f"{type(exc).__name__}: {str(exc)[:300]}"}
        _PC_CACHE[settings.partner_center.base_url] = (time.monotonic(), check)
    report.checks["partner_center"] = check
    if check["status"] != "ok":
        report.worsen("degraded")


def _suspensions(report: HealthReport, subscriptions: Subscriptions) -> None:
    try:
        costs = suspension_report(subscriptions, datetime.now(UTC))
    except StoreError:
        return
    report.checks["suspensions"] = {"status": "ok" if not costs["data_at_risk"] else "data_at_risk",
                                    "suspended": costs["suspended"], "still_billed": costs["still_billed"],
                                    "data_at_risk": costs["data_at_risk"], "term_ending": costs["term_ending"]}
    if costs["data_at_risk"]:
        report.worsen("degraded")


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
    for check, name in (("service_requests_queue", settings.service_requests_queue),
                        ("notices_queue", settings.notices.queue)):
        queue = MessageQueue.from_settings(settings.storage, name)
        try:
            waiting = queue.approximate_count()
            poisoned = queue.approximate_count(poison=True)
        except StoreError:
            report.checks[check] = {"status": "not created yet"}
            continue
        report.checks[check] = {"status": "ok" if poisoned == 0 else "poison", "waiting": waiting,
                                "poison": poisoned}
        if poisoned:
            report.worsen("degraded")
