"""The daily scan driven by the agenda: only the customers filed on or before today, not the whole index.

The agenda's range query (`PartitionKey le today`) also returns every row an earlier run left behind (it failed
part way, or a day was skipped), so nothing filed is lost; the watermark in `runs` records the last date fully
processed, and the run's counts say how many rows came from dates a previous run should already have done. The
accounts found are decided and acted on by the same `DelinquencyScan` code as the full scan, then each is re-filed
under its next date and the rows read are removed.

The timer does not act itself: `dispatch` sends the customers due to the due-customers queue, whose function acts
on them with the same code (lib/services/due_customers.py says why). An operator's scan (`POST /api/scan`, the CLI)
acts within the request with `run`, so its answer says what was done.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lib.domain.policy import CollectionsPolicy
from lib.services.agenda_filing import AgendaFiling
from lib.services.agenda_refiling import ScanRefiling
from lib.services.delinquency_scan import JOB, SCAN_LEASE, DelinquencyScan, ScanReport
from lib.services.due_customers import due_messages
from lib.store.accounts import AccountRow, Accounts
from lib.store.agenda import Agenda, day_key
from lib.store.leases import Leases
from lib.store.runs import RunLog
from lib.store.watermarks import Watermarks

RowSource = Callable[[], Iterable[AccountRow]]
ScanFactory = Callable[[RowSource | None], DelinquencyScan]
Sweep = Callable[[datetime, str | None], ScanReport | None]
Send = Callable[[Mapping[str, Any]], object]
WATERMARK = ("watermark", "agenda")
_FILING_BATCH = 1000  # accounts filed per round of entity-group batches
POLICY_MARK = ("watermark", "agenda_policy")
log = logging.getLogger("csp_guard.scan")


def policy_fingerprint(policy: CollectionsPolicy) -> str:
    """Changes whenever anything in the policy does (stages, thresholds, overrides): the dates filed under the old
    one may be wrong."""
    return hashlib.sha256(repr(policy).encode("utf-8")).hexdigest()[:16]


@dataclass
class DispatchReport:
    """The timer's scan: what the agenda named and what was sent to the due-customers queue."""

    as_of: datetime
    run_id: str
    accounts: int = 0  # customers the agenda named
    dispatched: int = 0  # of them, sent to the queue
    messages: int = 0
    refiled_all: int = 0  # the first run with an agenda (or under a new policy) files every account first
    agenda: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def status(self) -> str:
        return "failed" if self.errors else "succeeded"

    def counts(self) -> dict[str, Any]:
        return {"accounts": self.accounts, "dispatched": self.dispatched, "messages": self.messages,
                "acting": "queued", "refiled_all": self.refiled_all, "agenda": self.agenda, "errors": len(self.errors),
                "seconds": round(self.seconds, 3)}


class AgendaScan:
    def __init__(self, policy: CollectionsPolicy, accounts: Accounts, agenda: Agenda, filing: AgendaFiling,
                 scan: ScanFactory, runs: RunLog, watermarks: Watermarks, *, sweep: Sweep | None = None,
                 leases: Leases | None = None, workers: int = 8) -> None:
        self._sweep = sweep
        self._leases = leases
        self._policy = policy
        self._accounts = accounts
        self._agenda = agenda
        self._filing = filing
        self._refiling = ScanRefiling(policy, accounts, agenda, filing)
        self._scan = scan
        self._runs = runs
        self._watermarks = watermarks
        self._workers = workers

    def preview(self, as_of: datetime) -> ScanReport:
        """What a scan would change now, over the whole index: a preview must not depend on the agenda."""
        return self._scan(None).preview(as_of)

    def run(self, as_of: datetime, *, actor: str = JOB, correlation_id: str | None = None) -> ScanReport:
        """Decides and acts on every customer due, within this call (an operator's scan)."""
        swept = self._sweep_when_unfiled(as_of, correlation_id)
        if swept is not None:
            return swept
        through = day_key(as_of.astimezone(self._policy.zone).date())
        watermark = self._watermarks.get(*WATERMARK)
        due: dict[str, set[str]] = {}
        read: dict[str, AccountRow] = {}
        with ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="agenda") as pool:

            def rows() -> Iterator[AccountRow]:
                # Read under the scan's lease: the inner scan calls this once it holds it.
                for key, customer_id in self._agenda.due(through):
                    due.setdefault(customer_id, set()).add(key)
                for row in pool.map(self._accounts.get, list(due)):
                    if row is not None:
                        read[row.customer_id] = row
                        yield row

            report = self._scan(rows).run(as_of, actor=actor, correlation_id=correlation_id)
            refiled = self._refiling.refile(pool, due, read, as_of, report)
        if not report.errors:
            self._watermarks.set(*WATERMARK, through)
        # The inner scan recorded the run; the same row gets the agenda's counts and any re-filing error.
        assert report.run_id is not None
        self._runs.finish(JOB, report.run_id, status=report.status,
                          counts={**report.counts(), "agenda": _agenda_counts(through, due, watermark, refiled)},
                          errors=report.errors)
        return report

    def dispatch(self, as_of: datetime, send: Send, *, actor: str = JOB,
                 correlation_id: str | None = None) -> DispatchReport:
        """The timer's scan: sends every customer due to the due-customers queue (`send` puts one message on it),
        whose function decides and acts on them. The agenda rows stay until it has, so a message lost or poisoned
        leaves its customers for the next run. The first run with an agenda (or under a changed policy) files every
        account first."""
        if self._leases is None:
            return self._dispatch(as_of, send, actor, correlation_id)
        lease = self._leases.acquire(JOB, duration=SCAN_LEASE)  # LeaseHeld while an operator's scan runs
        try:
            return self._dispatch(as_of, send, actor, correlation_id)
        finally:
            self._leases.release(lease)

    def _dispatch(self, as_of: datetime, send: Send, actor: str, correlation_id: str | None) -> DispatchReport:
        started = time.perf_counter()
        through = day_key(as_of.astimezone(self._policy.zone).date())
        watermark = self._watermarks.get(*WATERMARK)
        report = DispatchReport(as_of, self._runs.start(JOB, correlation_id=correlation_id))
        due: dict[str, set[str]] = {}
        try:
            self._file_every_account_when_unfiled(as_of, report)
            for key, customer_id in self._agenda.due(through):
                due.setdefault(customer_id, set()).add(key)
            report.accounts = len(due)
            for message in due_messages(report.run_id, as_of, due, actor=actor, correlation_id=correlation_id):
                send(message.as_json())
                report.messages += 1
                report.dispatched += len(message.customers)
        except Exception as exc:  # what was not sent stays on the agenda for the next run
            log.exception("the scan could not send every customer due to the queue")
            report.errors.append(f"dispatch: {type(exc).__name__}: {exc}")
        if not report.errors:
            self._watermarks.set(*WATERMARK, through)
        report.agenda = _agenda_counts(through, due, watermark, None)
        report.seconds = time.perf_counter() - started
        self._runs.finish(JOB, report.run_id, status=report.status, counts=report.counts(), errors=report.errors)
        return report

    def _agenda_trusted(self) -> bool:
        """The agenda was built under this policy (its fingerprint is kept in `runs`). Without a sweep to fall back
        on (a scan built over given rows), it is always trusted."""
        return self._sweep is None or self._watermarks.get(*POLICY_MARK) == policy_fingerprint(self._policy)

    def _file_every_account_when_unfiled(self, as_of: datetime, report: DispatchReport) -> None:
        """The timer's first run with an agenda, or its first after a policy change: every account is filed under
        its date from today (today itself when a scan would act on it now), and nothing else is done, so the
        dispatch that follows sends whatever is due. The timer never acts itself, not even then."""
        if self._agenda_trusted():
            return
        log.warning("the agenda was built under another policy, or not at all: every account is filed again")
        batch: list[tuple[AccountRow, Iterable[str]]] = []
        for row in self._accounts.scan():
            report.refiled_all += 1
            batch.append((row, ()))
            if len(batch) >= _FILING_BATCH:
                self._filing.after_scan_many(batch, as_of)
                batch = []
        if batch:
            self._filing.after_scan_many(batch, as_of)
        # Only once every account is filed: otherwise the next run files them again.
        self._watermarks.set(*POLICY_MARK, policy_fingerprint(self._policy))

    def _sweep_when_unfiled(self, as_of: datetime, correlation_id: str | None) -> ScanReport | None:
        """The first run with an agenda (accounts from before it were never filed), or the first after a policy
        change (their dates were computed under the old one): the whole index is scanned and re-filed."""
        if self._sweep is None or self._agenda_trusted():
            return None
        log.warning("the agenda was built under another policy, or not at all: this scan reads every account")
        swept = self._sweep(as_of, correlation_id)
        if swept is not None and not swept.errors:
            self._watermarks.set(*POLICY_MARK, policy_fingerprint(self._policy))
            self._watermarks.set(*WATERMARK, day_key(as_of.astimezone(self._policy.zone).date()))
        return swept


def _agenda_counts(through: str, due: dict[str, set[str]], watermark: str | None,
                   refiled: int | None) -> dict[str, Any]:
    keys = [key for keys in due.values() for key in keys]
    counts: dict[str, Any] = {
        "through": through, "due": len(due), "rows": len(keys),
        "left_undone": sum(1 for key in keys if watermark is not None and key <= watermark), "watermark": watermark}
    if refiled is not None:
        counts["refiled"] = refiled
    return counts
