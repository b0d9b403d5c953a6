"""The daily scan's acting, fanned out over the `due-customers` queue.

The timer's scan (`AgendaScan.dispatch`) reads the agenda and sends the customers due today in messages of up to
`CUSTOMERS_PER_MESSAGE`; this is the queue function's side. For each message it reads the customers' index rows,
decides and acts on each through the same `DelinquencyScan` code as an operator's scan (under the customer's lock,
from a fresh read of the ledger), files each under its next date and removes the agenda rows the message named.

Why a queue: a timer that acted on every changed customer itself would run for as long as the day's changes take,
and Microsoft's guidance is to avoid long-running functions and to hand each row to a queue function instead
("Write defensive functions": query the rows, create a queue message for each to process further;
https://learn.microsoft.com/azure/azure-functions/performance-reliability). Each message retries on its own (the
host redelivers it, up to host.json's maxDequeueCount, then the poison queue), and several instances can share a big
day. It is also Kill Bill's shape: future dates on a notification queue, each account processed on its own.

Exactly once where it matters: a redelivered message decides again from the fresh book, so what was done is not
done again (the stage moved, the notice row exists, the suspension is recorded). The cap is the sending run's,
shared through a `runs` row (lib/store/run_budgets.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lib.services.agenda_refiling import ScanRefiling
from lib.services.collections import CapBudget
from lib.services.delinquency_scan import JOB as SCAN_JOB
from lib.services.delinquency_scan import DelinquencyScan, ScanReport
from lib.store.accounts import AccountRow, Accounts
from lib.store.runs import RunLog

JOB = "act_on_due_customers"
CUSTOMERS_PER_MESSAGE = 32  # ~2 KB a message, well under the queue's 64 KB; a few seconds of work each
_DAY_KEY = re.compile(r"^\d{8}$")
RowsScan = Callable[[Callable[[], Iterable[AccountRow]]], DelinquencyScan]


class InvalidDueMessage(ValueError):
    """A message no delivery can act on (not JSON, or a field missing or malformed): it goes to the poison queue."""


class DueCustomersFailed(RuntimeError):
    """Some customers of the message could not be acted on: the host delivers it again."""


@dataclass(frozen=True)
class DueMessage:
    run_id: str  # the scan run that sent it: its cap is shared by every message it sent
    as_of: datetime
    actor: str
    correlation_id: str | None
    customers: Mapping[str, tuple[str, ...]]  # customer id -> the agenda rows (date keys) that named it

    def as_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "as_of": self.as_of.isoformat(), "actor": self.actor,
                "correlation_id": self.correlation_id,
                "customers": {cid: list(keys) for cid, keys in self.customers.items()}}

    @classmethod
    def parse(cls, body: bytes | str) -> DueMessage:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidDueMessage(f"not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise InvalidDueMessage("the message must be a JSON object")
        run_id, actor, text = data.get("run_id"), data.get("actor"), data.get("as_of")
        correlation_id, customers = data.get("correlation_id"), data.get("customers")
        for name, value in (("run_id", run_id), ("actor", actor), ("as_of", text)):
            if not isinstance(value, str) or not value:
                raise InvalidDueMessage(f"{name}: a non-empty string is required")
        assert isinstance(text, str) and isinstance(run_id, str) and isinstance(actor, str)
        try:
            as_of = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidDueMessage(f"as_of: {text!r} is not an ISO-8601 time") from None
        if as_of.tzinfo is None:
            raise InvalidDueMessage(f"as_of: {text!r} needs a UTC offset")
        if correlation_id is not None and not isinstance(correlation_id, str):
            raise InvalidDueMessage("correlation_id: a string or null is required")
        if not isinstance(customers, dict) or not customers:
            raise InvalidDueMessage("customers: a non-empty object of customer id -> agenda date keys is required")
        parsed: dict[str, tuple[str, ...]] = {}
        for cid, keys in customers.items():
            if not cid or len(cid) > 128 or not isinstance(keys, list) \
                    or not all(isinstance(k, str) and _DAY_KEY.match(k) for k in keys):
                raise InvalidDueMessage(f"customers: {cid!r} needs a list of YYYYMMDD agenda keys")
            parsed[cid] = tuple(keys)
        return cls(run_id, as_of, actor, correlation_id, parsed)


def due_messages(run_id: str, as_of: datetime, due: Mapping[str, set[str]], *, actor: str,
                 correlation_id: str | None, size: int = CUSTOMERS_PER_MESSAGE) -> list[DueMessage]:
    """The customers due, in messages of at most `size`."""
    ids = sorted(due)
    return [DueMessage(run_id, as_of, actor, correlation_id,
                       {cid: tuple(sorted(due[cid])) for cid in ids[start:start + size]})
            for start in range(0, len(ids), size)]


class DueCustomers:
    def __init__(self, accounts: Accounts, scan: RowsScan, refiling: ScanRefiling,
                 budget: Callable[[str], CapBudget], runs: RunLog, *, workers: int = 8) -> None:
        self._runs = runs
        self._accounts = accounts
        self._scan = scan
        self._refiling = refiling
        self._budget = budget
        self._workers = workers

    def handle(self, body: bytes | str) -> ScanReport:
        """Acts on one message. InvalidDueMessage for a message that can never succeed; DueCustomersFailed (after
        everything else in it was done and re-filed) when a customer could not be acted on."""
        message = DueMessage.parse(body)
        due = {cid: set(keys) for cid, keys in message.customers.items()}
        with ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="due") as pool:
            read = {row.customer_id: row for row in pool.map(self._accounts.get, list(due)) if row is not None}
            budget = self._budget(message.run_id)
            report = self._scan(lambda: read.values()).act(
                message.as_of, budget, job=JOB, actor=message.actor, correlation_id=message.correlation_id)
            if budget.announces and report.stopped:  # the scan's own run row says so too (health reads it)
                self._runs.mark_stopped(SCAN_JOB, message.run_id, report.stopped)
            self._refiling.refile(pool, due, read, message.as_of, report)
        if report.errors:
            raise DueCustomersFailed(f"{len(report.errors)} of {len(due)} customers failed (scan run "
                                     f"{message.run_id}): {'; '.join(report.errors[:5])}")
        return report
