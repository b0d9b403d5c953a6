"""`csp-guard rebuild-summaries`: recompute every summary from the ledger's facts and repair what drifted.

The summary is derived state; if a bug or a manual edit ever made it disagree with the facts, the facts win.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

from lib.domain.ledger import summarize
from lib.store.accounts import Accounts
from lib.store.errors import ConcurrencyConflict
from lib.store.ledger import LedgerBook


@dataclass
class RebuildReport:
    customers: int = 0
    repaired: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def rebuild_summaries(ledger: LedgerBook, accounts: Accounts,
                      refile: Callable[[str], object] = lambda _customer_id: None) -> RebuildReport:
    """`refile` puts a customer whose index row was written back on the scan's agenda (agenda_filing.py)."""
    report = RebuildReport()
    for customer_id in ledger.customers():
        report.customers += 1
        snapshot = ledger.load(customer_id, fresh=True)
        recomputed = summarize(snapshot.facts.values(), version=snapshot.summary.version)
        if recomputed == snapshot.summary:
            accounts.apply_summary(customer_id, snapshot.summary)  # also heals a missing index row
            refile(customer_id)
            continue
        repaired = dataclasses.replace(recomputed, version=snapshot.summary.version + 1)
        try:
            ledger.replace_summary(snapshot, repaired)
        except ConcurrencyConflict:
            report.conflicts.append(customer_id)  # an event arrived meanwhile and wrote a fresh summary
            continue
        accounts.apply_summary(customer_id, repaired)
        refile(customer_id)
        report.repaired.append(customer_id)
    return report
