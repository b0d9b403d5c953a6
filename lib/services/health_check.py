"""What `GET /api/health` (anonymous) and `GET /api/status` (operators) report.

Health says only `ok`, `degraded` or `down` per component and overall: anyone may call it, so it carries no customer
id, no error text and no count, and it stays cheap (point reads and one queue property, never a table scan). Status
carries the details behind each word: latencies, error text, each timer's last run, poison counts, what suspensions
put at risk.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lib.domain.policy_file import PolicyError, load_policy
from lib.partner_center.errors import PartnerCenterError
from lib.partner_center.factory import build_client
from lib.partner_center.retry import RetryPolicy
from lib.services.suspension_report import suspension_report
from lib.settings import Settings
from lib.store.errors import StoreError
from lib.store.proposals import OPEN, Proposals
from lib.store.queues import MessageQueue
from lib.store.runs import RunLog
from lib.store.subscriptions import Subscriptions
from lib.store.tables import TableStore
from lib.version import version

TIMER_JOBS = ("delinquency_scan", "fraud_events_poll", "reconcile")
LEVELS = ("ok", "degraded", "down")
# Health must answer fast when storage is down: no SDK retries, short timeouts.
_PROBE_OPTIONS: dict[str, Any] = {"retry_total": 0, "connection_timeout": 3, "read_timeout": 5}


@dataclass
class Component:
    level: str  # ok | degraded | down
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class StatusReport:
    components: dict[str, Component] = field(default_factory=dict)
    timers: dict[str, dict[str, Any] | None] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return overall(self.components)

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, "version": version(),
                "components": {name: {"status": c.level, **c.details} for name, c in self.components.items()},
                "timers": self.timers}


@dataclass(frozen=True)
class HealthReport:
    components: dict[str, str]

    @property
    def status(self) -> str:
        return overall({name: Component(level) for name, level in self.components.items()})

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, "components": dict(self.components)}


def overall(components: dict[str, Component]) -> str:
    """Down only when storage is: without it nothing works. Any other component below ok makes the app degraded
    (with the policy down the ledger still records payments; decisions wait)."""
    storage = components.get("storage")
    if storage is not None and storage.level == "down":
        return "down"
    return "degraded" if any(c.level != "ok" for c in components.values()) else "ok"


def check_health(settings: Settings) -> HealthReport:
    report = _probe(settings, deep=False)
    return HealthReport({name: component.level for name, component in report.components.items()})


def check_status(settings: Settings) -> StatusReport:
    return _probe(settings, deep=True)


def _probe(settings: Settings, *, deep: bool) -> StatusReport:
    report = StatusReport()
    report.components["policy"] = _policy(settings)
    store = TableStore.from_settings(settings.storage, settings.table_prefix, **_PROBE_OPTIONS)
    started = time.perf_counter()
    try:
        store.ping()
    except StoreError as exc:
        report.components["storage"] = Component("down", {"error": str(exc)})
        return report
    report.components["storage"] = Component("ok", {"latency_ms": round((time.perf_counter() - started) * 1000, 1)})
    report.components["timers"] = _timers(report, RunLog(store.table("runs")))
    report.components["service_requests_queue"] = _poison(settings, settings.service_requests_queue)
    report.components["notices_queue"] = _poison(settings, settings.notices.queue)
    # The timer scan's acting: a poisoned message is customers left for the next scan (their agenda rows stay).
    report.components["due_customers_queue"] = _poison(settings, settings.due_customers_queue)
    if deep:  # reads every subscription row: operators only
        report.components["suspensions"] = _suspensions(Subscriptions(store.table("subscriptions")))
        report.components["proposals"] = _proposals(Proposals(store.table("proposals")))
    report.components["partner_center"] = _partner_center(settings)
    return report


def _policy(settings: Settings) -> Component:
    try:
        load_policy(settings.collections_policy)
    except PolicyError as exc:
        return Component("down", {"error": str(exc).splitlines()[0], "problems": len(exc.problems)})
    return Component("ok", {"file": str(settings.collections_policy.name)})


_PC_CACHE: dict[str, tuple[float, Component]] = {}
_PC_CACHE_SECONDS = 60.0  # a health probe every few seconds must not become Partner Center traffic


def _partner_center(settings: Settings) -> Component:
    cached = _PC_CACHE.get(settings.partner_center.base_url)
    if cached is not None and time.monotonic() - cached[0] < _PC_CACHE_SECONDS:
        return cached[1]
    try:
        client = build_client(settings.partner_center)
        client.retry = RetryPolicy(total=0, timeout=5, connect_timeout=3, read_timeout=5)
        check = Component("ok", {"latency_ms": round(client.ping() * 1000, 1)})
    except (PartnerCenterError, ValueError, OSError) as exc:
        check = Component("degraded", {"error": str(exc)[:300]})
    except Exception as exc:
        check = Component("degraded", {"error": f"{type(exc).__name__}: {str(exc)[:300]}"})
    _PC_CACHE[settings.partner_center.base_url] = (time.monotonic(), check)
    return check


def _suspensions(subscriptions: Subscriptions) -> Component:
    try:
        costs = suspension_report(subscriptions, datetime.now(UTC))
    except StoreError as exc:
        return Component("degraded", {"error": str(exc)})
    details = {key: costs[key] for key in ("suspended", "still_billed", "data_at_risk", "term_ending")}
    return Component("degraded" if costs["data_at_risk"] else "ok", details)


def _proposals(proposals: Proposals) -> Component:
    """Review mode's open proposals: waiting for a person is not a fault, so this never degrades status."""
    try:
        waiting = sorted(p.created_at for p in proposals.with_status(OPEN) if p.created_at is not None)
    except StoreError as exc:
        return Component("degraded", {"error": str(exc)})
    return Component("ok", {"open": len(waiting), "oldest": waiting[0].isoformat() if waiting else None})


def _timers(report: StatusReport, runs: RunLog) -> Component:
    level = "ok"
    for job in TIMER_JOBS:
        try:
            last = runs.last(job)
        except StoreError as exc:
            report.timers[job] = {"status": "unknown", "error": str(exc)}
            level = "degraded"
            continue
        report.timers[job] = last.as_json() if last else None
        if last is not None and last.status in ("failed", "stopped"):
            # A failed run, or a scan stopped by the blast-radius cap, needs a person's eyes.
            level = "degraded"
    return Component(level, {"failed_or_stopped": sorted(job for job, run in report.timers.items()
                                                         if run and run.get("status") in ("failed", "stopped"))})


def _poison(settings: Settings, queue_name: str) -> Component:
    queue = MessageQueue.from_settings(settings.storage, queue_name)
    try:
        waiting, poisoned = queue.approximate_count(), queue.approximate_count(poison=True)
    except StoreError:
        return Component("ok", {"queue": "not created yet"})
    return Component("degraded" if poisoned else "ok", {"waiting": waiting, "poison": poisoned})
