"""The full sweep: the old whole-index scan, run weekly, that checks the agenda missed nothing and repairs it.

It decides and acts exactly as the daily scan does (the same `DelinquencyScan`, over every account), and for each
account compares with what the agenda path would have done: an account the scan acts on today that is not filed on
or before today is one the agenda would have *missed*; one filed later than its next evaluation date would be missed
later (*late*). Both are reported (the run's counts, and a log line marked alert) and re-filed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lib.domain.collections_plan import plan_change
from lib.domain.policy import CollectionsPolicy
from lib.services.agenda_filing import AgendaFiling
from lib.services.delinquency_scan import ScanReport
from lib.services.scan_agenda import ScanFactory
from lib.store.accounts import AccountRow, Accounts
from lib.store.agenda import day_key
from lib.store.runs import RunLog

log = logging.getLogger("csp_guard.full_sweep")
JOB = "full_sweep"
ALERT_MESSAGE = "ALERT agenda missed accounts"  # operators' alerts match this text
LIST_LIMIT = 100


@dataclass
class SweepReport:
    as_of: datetime
    run_id: str | None = None
    scan_run_id: str | None = None
    accounts: int = 0
    changed: int = 0
    missed: list[str] = field(default_factory=list)
    late: list[str] = field(default_factory=list)
    refiled: int = 0
    errors: list[str] = field(default_factory=list)
    scan: ScanReport | None = None  # the whole-index scan's own report
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def counts(self) -> dict[str, Any]:
        return {"accounts": self.accounts, "changed": self.changed, "missed": len(self.missed),
                "late": len(self.late), "refiled": self.refiled, "scan_run_id": self.scan_run_id,
                "missed_customers": sorted(self.missed)[:LIST_LIMIT], "late_customers": sorted(self.late)[:LIST_LIMIT],
                "errors": len(self.errors)}


class FullSweep:
    def __init__(self, policy: CollectionsPolicy, accounts: Accounts, filing: AgendaFiling, scan: ScanFactory,
                 runs: RunLog, *, workers: int = 8) -> None:
        self._policy = policy
        self._accounts = accounts
        self._filing = filing
        self._scan = scan
        self._runs = runs
        self._workers = workers

    def run(self, as_of: datetime, *, correlation_id: str | None = None, alert: bool = True) -> SweepReport:
        """`alert=False` when the agenda is known to be incomplete (its first run, a new policy): still counted."""
        report = SweepReport(as_of=as_of)
        report.run_id = self._runs.start(JOB, correlation_id=correlation_id)
        today = day_key(as_of.astimezone(self._policy.zone).date())
        repair: set[str] = set()
        try:
            def rows() -> Iterator[AccountRow]:
                for row in self._accounts.scan():
                    self._check(row, as_of, today, report, repair)
                    yield row

            scan = self._scan(rows).run(as_of, actor=JOB, correlation_id=correlation_id)
            report.scan = scan
            report.scan_run_id, report.accounts, report.changed = scan.run_id, scan.accounts, scan.changed
            report.errors.extend(scan.errors)
            with ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="sweep-refile") as pool:
                report.refiled = sum(pool.map(lambda cid: self._refile(cid, as_of, report), sorted(repair)))
        except Exception as exc:  # the run is recorded as failed whatever went wrong
            report.errors.append(f"sweep aborted: {type(exc).__name__}: {exc}")
            raise
        finally:
            if report.missed and alert:
                # Failed, so health turns degraded: the agenda has a gap that someone should look into.
                report.errors.append(f"{ALERT_MESSAGE}: {len(report.missed)} on {today}")
                log.error("%s: %d account(s) the daily scan would not have looked at on %s: %s", ALERT_MESSAGE,
                          len(report.missed), today, ", ".join(sorted(report.missed)[:LIST_LIMIT]),
                          extra={"alert": True})
            self._runs.finish(JOB, report.run_id, status="failed" if report.errors else "succeeded",
                              counts=report.counts(), errors=report.errors)
        return report

    def _check(self, row: AccountRow, as_of: datetime, today: str, report: SweepReport, repair: set[str]) -> None:
        change = plan_change(self._policy, row.customer_id, row.summary, hold=row.hold, previous_stage=row.stage,
                             suspended_for_non_payment=row.suspended_for_non_payment, as_of=as_of)
        filed = row.agenda_date
        if change is not None or row.reevaluate:
            repair.add(row.customer_id)  # acted on now: its next date moves
            if filed is None or filed > today:
                report.missed.append(row.customer_id)
            return
        expected = self._filing.expected(row, as_of)
        if expected is not None and (filed is None or filed > expected):
            report.late.append(row.customer_id)
            repair.add(row.customer_id)

    def _refile(self, customer_id: str, as_of: datetime, report: SweepReport) -> bool:
        try:
            row = self._accounts.get(customer_id)
            if row is not None:
                self._filing.after_scan(row, as_of)
            return row is not None
        except Exception as exc:  # one customer's failure must not stop the others' repair
            with report._lock:
                report.errors.append(f"{customer_id}: agenda: {type(exc).__name__}: {exc}")
            return False
