"""The delinquency scan: evaluate every account against the collections policy and act on what changed.

Reads only the `accounts` index (16 partitions at once, streamed); a customer whose decision changed is re-read
from its ledger and acted on through the collections enforcer, a few customers at a time. One scan runs at a time
(a lease); a second one gives up with LeaseHeld. The lease lasts as long as the Functions host lets the function
run (host.json `functionTimeout`, 10 minutes), is renewed while the scan goes on, and a scan that loses it stops
acting at once. Every real run writes a `runs` row.
A dry run (preview) decides the same way and changes nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from lib.domain.collections_plan import PlannedChange, plan_change
from lib.domain.policy import CollectionsPolicy
from lib.services.collections import CapBudget, CollectionsEnforcer, SuspensionBudget
from lib.services.notice_outbox import NoticeOutbox
from lib.services.ops_alerts import LoggingOpsAlerts, OpsAlerts
from lib.store.accounts import AccountRow, Accounts
from lib.store.leases import LeaseKeeper, LeaseLost, Leases
from lib.store.runs import RunLog
from lib.telemetry import telemetry

log = logging.getLogger("csp_guard.scan")
JOB = "delinquency_scan"
CAP_MESSAGE = "blast-radius cap reached"  # operators' alerts match this text
LIST_LIMIT = 1000  # changes listed in a report; all are counted
# host.json's functionTimeout: the host stops a run after this, so a lease held longer would only block the next one
# (tests/unit/services/test_leases_sizing.py keeps the two equal).
SCAN_LEASE = timedelta(minutes=10)


@dataclass
class ScanReport:
    as_of: datetime
    dry_run: bool
    run_id: str | None = None
    accounts: int = 0
    stages: Counter[str] = field(default_factory=Counter)
    changes: list[PlannedChange] = field(default_factory=list)
    changed: int = 0
    suspended: int = 0
    shadow_suspensions: int = 0  # decided and recorded in shadow mode; nothing called
    proposed: int = 0  # review mode: suspensions waiting for an operator
    service_requests: int = 0  # queued by a stage's service_request action
    restored: int = 0
    notified: int = 0
    withheld: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    stopped: str | None = None
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def status(self) -> str:
        if self.stopped:
            return "stopped"
        return "failed" if self.errors else "succeeded"

    def counts(self) -> dict[str, Any]:
        return {"accounts": self.accounts, "stages": dict(self.stages), "changed": self.changed,
                "suspended": self.suspended, "shadow_suspensions": self.shadow_suspensions, "proposed": self.proposed,
                "service_requests": self.service_requests,
                "restored": self.restored, "notified": self.notified,
                "withheld": dict(self.withheld), "errors": len(self.errors), "seconds": round(self.seconds, 3)}

    def as_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "as_of": self.as_of.isoformat(), "dry_run": self.dry_run,
                "status": self.status, "stopped": self.stopped, **self.counts(),
                "changes": [c.as_json() for c in self.changes], "error_messages": self.errors[:50]}


@dataclass
class ScanSettings:
    max_suspensions: int
    workers: int = 8
    lease_for: timedelta = SCAN_LEASE


class DelinquencyScan:
    def __init__(self, policy: CollectionsPolicy, accounts: Accounts, enforcer: CollectionsEnforcer,
                 leases: Leases, runs: RunLog, settings: ScanSettings, *, notices: NoticeOutbox | None = None,
                 rows: Callable[[], Iterable[AccountRow]] | None = None, alerts: OpsAlerts | None = None) -> None:
        self._notices = notices
        self._alerts = alerts or LoggingOpsAlerts()
        self._rows = rows or accounts.scan  # the agenda's due accounts (lib/services/scan_agenda.py), else all
        self._policy = policy
        self._accounts = accounts
        self._enforcer = enforcer
        self._leases = leases
        self._runs = runs
        self._settings = settings

    def preview(self, as_of: datetime) -> ScanReport:
        report = ScanReport(as_of=as_of, dry_run=True)
        started = time.perf_counter()
        for _row, change in self._changes(report):
            if change is not None:
                self._list(report, change)
                if change.suspend and self._notices is not None and self._notices.suspension_waits(
                        change.customer_id, as_of, new_episode=change.from_stage == "current"):
                    report.withheld["notice_period"] += 1  # the scan would send the notice first
        report.seconds = time.perf_counter() - started
        return report

    def run(self, as_of: datetime, *, actor: str = JOB, correlation_id: str | None = None) -> ScanReport:
        lease = self._leases.acquire(JOB, duration=self._settings.lease_for)
        with LeaseKeeper(self._leases, lease, self._settings.lease_for) as keeper:
            return self._run_leased(keeper, as_of, actor, correlation_id)

    def act(self, as_of: datetime, budget: CapBudget, *, job: str, actor: str = JOB,
            correlation_id: str | None = None) -> ScanReport:
        """The fanned-out step of a daily scan (the due-customers queue, lib/services/due_customers.py): decides
        and acts on this scan's rows without the scan's lease, since every customer is acted on under its own lock,
        with the cap of the run that sent them (`budget`). Records a `runs` row under `job`."""
        report = ScanReport(as_of=as_of, dry_run=False)
        started = time.perf_counter()
        report.run_id = self._runs.start(job, correlation_id=correlation_id)
        try:
            self._act_on_changes(report, budget, actor, correlation_id, None)
        except Exception as exc:
            report.errors.append(f"{job} aborted: {type(exc).__name__}: {exc}")
            raise
        finally:
            self._finish(job, report, budget, started)
        return report

    def _run_leased(self, keeper: LeaseKeeper, as_of: datetime, actor: str,
                    correlation_id: str | None) -> ScanReport:
        report = ScanReport(as_of=as_of, dry_run=False)
        started = time.perf_counter()
        report.run_id = self._runs.start(JOB, correlation_id=correlation_id)
        budget = SuspensionBudget(self._settings.max_suspensions)
        try:
            self._act_on_changes(report, budget, actor, correlation_id, keeper)
            self._requeue_lost_notices(report)
        except LeaseLost as exc:
            report.stopped = f"scan lease lost: {exc}"
            log.error("%s", report.stopped)
        except Exception as exc:  # the run is recorded as failed whatever went wrong
            report.errors.append(f"scan aborted: {type(exc).__name__}: {exc}")
            raise
        finally:
            self._finish(JOB, report, budget, started)
        return report

    def _finish(self, job: str, report: ScanReport, budget: CapBudget, started: float) -> None:
        if budget.exhausted:
            report.stopped = (f"{CAP_MESSAGE}: {budget.used} suspensions made, {budget.refused} more withheld "
                              f"(MAX_SUSPENSIONS_PER_RUN={budget.limit})")
            log.error("%s", report.stopped)
        if budget.announces:
            self._alerts.raise_alert("cap_reached", report.stopped or CAP_MESSAGE, {
                "run_id": report.run_id, "suspended": budget.used, "withheld": budget.refused})
        report.seconds = time.perf_counter() - started
        assert report.run_id is not None
        self._runs.finish(job, report.run_id, status=report.status, counts=report.counts(), errors=report.errors)

    def _act_on_changes(self, report: ScanReport, budget: CapBudget, actor: str,
                        correlation_id: str | None, keeper: LeaseKeeper | None) -> None:
        window = threading.BoundedSemaphore(self._settings.workers * 4)  # keeps memory flat while streaming
        pending: list[Future[None]] = []
        with ThreadPoolExecutor(max_workers=self._settings.workers, thread_name_prefix="scan-act") as pool:
            for row, change in self._changes(report):
                if change is None and not row.reevaluate:
                    continue
                if keeper is not None:
                    keeper.ensure_held()  # another scan took over: stop deciding (pending work finishes below)
                window.acquire()
                future = pool.submit(self._apply, report, row, budget, actor, correlation_id)
                future.add_done_callback(lambda _: window.release())
                pending.append(future)
                pending = [f for f in pending if not f.done()]
            for future in pending:
                future.result()

    def _requeue_lost_notices(self, report: ScanReport) -> None:
        if self._notices is None:
            return
        try:
            self._notices.requeue_stale()
        except Exception as exc:  # the notices' own trouble must not fail the scan's decisions
            log.exception("could not requeue stale notices")
            report.errors.append(f"notices: {type(exc).__name__}: {exc}")

    def _apply(self, report: ScanReport, row: AccountRow, budget: CapBudget, actor: str,
               correlation_id: str | None) -> None:
        try:
            applied = self._enforcer.apply(row, report.as_of, budget, actor=actor, correlation_id=correlation_id)
        except Exception as exc:  # one customer's failure must not stop the book being scanned
            log.exception("scan could not act on %s", row.customer_id)
            with report._lock:
                report.errors.append(f"{row.customer_id}: {type(exc).__name__}: {exc}")
            return
        with report._lock:
            if applied.change is not None:
                self._list(report, applied.change)
                report.notified += int(applied.change.notify)
            report.suspended += int(applied.suspended)
            report.shadow_suspensions += int(applied.shadow)
            report.proposed += int(applied.proposed)
            report.service_requests += int(applied.service_request)
            report.restored += int(applied.restored)
            if applied.withheld:
                report.withheld[applied.withheld] += 1

    def _changes(self, report: ScanReport) -> Iterator[tuple[AccountRow, PlannedChange | None]]:
        for row in self._rows():
            change = plan_change(self._policy, row.customer_id, row.summary, hold=row.hold,
                                 previous_stage=row.stage, suspended_for_non_payment=row.suspended_for_non_payment,
                                 as_of=report.as_of)
            report.accounts += 1
            telemetry.accounts_evaluated.add(1, {"dry_run": report.dry_run})
            report.stages[change.to_stage if change else (row.stage or "current")] += 1
            for withheld in (change.decision.withheld if change else ()):
                report.withheld[withheld.action] += 1
            yield row, change

    @staticmethod
    def _list(report: ScanReport, change: PlannedChange) -> None:
        report.changed += 1
        if len(report.changes) < LIST_LIMIT:
            report.changes.append(change)


def as_of_date(text: str, policy: CollectionsPolicy) -> datetime:
    """`--as-of 2026-12-01`: noon of that date in the policy's time zone, in UTC; a full timestamp is kept."""
    from datetime import date
    from datetime import time as clock

    if "T" in text:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise ValueError(f"{text!r} needs a UTC offset")
        return moment.astimezone(UTC)
    day = date.fromisoformat(text)
    return datetime.combine(day, clock(12, 0), tzinfo=policy.zone).astimezone(UTC)
