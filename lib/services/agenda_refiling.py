"""After a scan looked at the customers the agenda named: each is filed under its next date, the rows read go.

Shared by the scan that acts in one run (lib/services/scan_agenda.py) and by the due-customers queue function that
acts for the timer's scan (lib/services/due_customers.py).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from lib.domain.next_evaluation import acts_on
from lib.domain.policy import CollectionsPolicy
from lib.services.agenda_filing import AgendaFiling, facts_of
from lib.services.delinquency_scan import ScanReport
from lib.store.accounts import AccountRow, Accounts
from lib.store.agenda import Agenda


class ScanRefiling:
    def __init__(self, policy: CollectionsPolicy, accounts: Accounts, agenda: Agenda, filing: AgendaFiling) -> None:
        self._policy = policy
        self._accounts = accounts
        self._agenda = agenda
        self._filing = filing

    def refile(self, pool: ThreadPoolExecutor, due: dict[str, set[str]], read: dict[str, AccountRow],
               as_of: datetime, report: ScanReport) -> int:
        """`due`: each customer the scan was given with the agenda rows naming it; `read`: the index rows it
        decided from. Whatever the scan acted on is read again (its stage moved); the rest are filed as read.
        A failure is the report's error and leaves the rows in place: the next run reads them again."""
        try:
            untouched = self._untouched(read, as_of)
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

    def _untouched(self, read: dict[str, AccountRow], as_of: datetime) -> dict[str, AccountRow]:
        """The rows the scan had nothing to do for: they are as read, so re-filing them needs no second read."""
        day = as_of.astimezone(self._policy.zone).date()
        return {cid: row for cid, row in read.items()
                if not row.reevaluate and not acts_on(self._policy, facts_of(row), day)}
