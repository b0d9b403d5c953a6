"""The daily scan driven by the agenda: only the customers filed on or before today, not the whole index.

The agenda's range query (`PartitionKey le today`) also returns every row an earlier run left behind (it failed
part way, or a day was skipped), so nothing filed is lost; the watermark in `runs` records the last date fully
processed, and the run's counts say how many rows came from dates a previous run should already have done. The
accounts found are decided and acted on by the same `DelinquencyScan` code as the full scan, then each is re-filed
under its next date and the rows read are removed.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from lib.domain.next_evaluation import acts_on
from lib.domain.policy import CollectionsPolicy
from lib.services.agenda_filing import AgendaFiling, facts_of
from lib.services.delinquency_scan import JOB, DelinquencyScan, ScanReport
from lib.store.accounts import AccountRow, Accounts
from lib.store.agenda import Agenda, day_key
from lib.store.runs import RunLog
from lib.store.watermarks import Watermarks

RowSource = Callable[[], Iterable[AccountRow]]
ScanFactory = Callable[[RowSource | None], DelinquencyScan]
Sweep = Callable[[datetime, str | None], ScanReport | None]
WATERMARK = ("watermark", "agenda")
POLICY_MARK = ("watermark", "agenda_policy")
log = logging.getLogger("csp_guard.scan")


def policy_fingerprint(policy: CollectionsPolicy) -> str:
    """Changes whenever anything in the policy does (stages, thresholds, overrides): the dates filed under the old
    one may be wrong."""
    return hashlib.sha256(repr(policy).encode("utf-8")).hexdigest()[:16]


class AgendaScan:
    def __init__(self, policy: CollectionsPolicy, accounts: Accounts, agenda: Agenda, filing: AgendaFiling,
                 scan: ScanFactory, runs: RunLog, watermarks: Watermarks, *, sweep: Sweep | None = None,
                 workers: int = 8) -> None:
        self._sweep = sweep
        self._policy = policy
        self._accounts = accounts
        self._agenda = agenda
        self._filing = filing
        self._scan = scan
        self._runs = runs
        self._watermarks = watermarks
        self._workers = workers

    def preview(self, as_of: datetime) -> ScanReport:
        """What a scan would change now, over the whole index: a preview must not depend on the agenda."""
        return self._scan(None).preview(as_of)

    def run(self, as_of: datetime, *, actor: str = JOB, correlation_id: str | None = None) -> ScanReport:
        fingerprint = policy_fingerprint(self._policy)
        if self._sweep is not None and self._watermarks.get(*POLICY_MARK) != fingerprint:
            # The first run with an agenda (accounts from before it were never filed), or a changed policy (their
            # dates were computed under the old one): this run scans the whole index and re-files what is wrong.
            log.warning("the agenda was built under another policy, or not at all: this scan reads every account")
            swept = self._sweep(as_of, correlation_id)
            if swept is not None and not swept.errors:
                self._watermarks.set(*POLICY_MARK, fingerprint)
                self._watermarks.set(*WATERMARK, day_key(as_of.astimezone(self._policy.zone).date()))
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
            refiled = self._refile(pool, due, self._untouched(read, as_of), as_of, report)
        if not report.errors:
            self._watermarks.set(*WATERMARK, through)
        keys = [key for keys in due.values() for key in keys]
        agenda: dict[str, Any] = {
            "through": through, "due": len(due), "rows": len(keys),
            "left_undone": sum(1 for key in keys if watermark is not None and key <= watermark),
            "refiled": refiled, "watermark": watermark}
        # The inner scan recorded the run; the same row gets the agenda's counts and any re-filing error.
        assert report.run_id is not None
        self._runs.finish(JOB, report.run_id, status=report.status, counts={**report.counts(), "agenda": agenda},
                          errors=report.errors)
        return report

    def _untouched(self, read: dict[str, AccountRow], as_of: datetime) -> dict[str, AccountRow]:
        """The rows the scan had nothing to do for: they are as read, so re-filing them needs no second read."""
        return {cid: row for cid, row in read.items() if not row.reevaluate and not acts_on(
            self._policy, facts_of(row), as_of.astimezone(self._policy.zone).date())}

    def _refile(self, pool: ThreadPoolExecutor, due: dict[str, set[str]], untouched: dict[str, AccountRow],
                as_of: datetime, report: ScanReport) -> int:
        """Re-reads what the scan decided and files each customer under its next date; the rows read go."""
        try:
            changed = [cid for cid in due if cid not in untouched]
            rows: dict[str, AccountRow | None] = {**untouched, **dict(zip(
                changed, pool.map(self._accounts.get, changed), strict=True))}
            # A stray row for a customer the index does not know is simply removed.
            self._agenda.remove_many((key, cid) for cid, row in rows.items() if row is None for key in due[cid])
            return self._filing.after_scan_many(((row, due[cid]) for cid, row in rows.items() if row is not None),
                                                as_of)
        except Exception as exc:  # the rows stay on the agenda; the next run reads them again
            report.errors.append(f"agenda: re-filing failed: {type(exc).__name__}: {exc}")
            return 0
