"""Files each customer on the scan's agenda under its next evaluation date, after anything that changes it.

Three moments re-file a customer: a ledger write (the summary changed), a hold change, and a scan's decision. After
an event the date is the first one on which a scan would act on the account as it now stands, however early (a
replayed `as_of` day is covered too); after a scan it is the first one from the scan's own date on. A customer the
policy cannot be evaluated for, or one marked `reevaluate`, is filed `ASAP`, so the next scan decides it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime

from lib.domain.next_evaluation import AccountFacts, first_evaluation, next_evaluation
from lib.domain.policy import CollectionsPolicy
from lib.store.accounts import AccountRow, Accounts
from lib.store.agenda import ASAP, Agenda, day_key

log = logging.getLogger("csp_guard.agenda")


class AgendaFiling:
    def __init__(self, policy: Callable[[], CollectionsPolicy], accounts: Accounts, agenda: Agenda,
                 clock: Callable[[], datetime]) -> None:
        self._policy = policy  # loaded on use: a policy that will not load must not stop a fact being recorded
        self._accounts = accounts
        self._agenda = agenda
        self._clock = clock

    def after_event(self, customer_id: str, row: AccountRow | None = None) -> str | None:
        """After a ledger write or a hold change. Returns the date key filed under (None: filed nowhere).

        Ingestion passes the index row it just wrote (ETag-checked, so current), which saves a read per event. If
        the payment hook has since changed the stage, that row's stage is the old one; a scan would then act on
        it today by the row's own reckoning, so it is filed for today or earlier: early, never late."""
        row = row or self._accounts.get(customer_id)
        if row is None:
            return None
        return self._move(row, self._key(row, lambda policy, today: first_evaluation(policy, facts_of(row), today)),
                          ())

    def after_scan(self, row: AccountRow, as_of: datetime, consumed: Iterable[str] = ()) -> str | None:
        """After a scan looked at the customer on `as_of`'s local date; `consumed` are the agenda rows it read."""
        return self._move(row, self._scan_key(row, as_of), consumed)

    def after_scan_many(self, rows: Iterable[tuple[AccountRow, Iterable[str]]], as_of: datetime) -> int:
        """`after_scan` for many customers at once, each with the agenda rows the scan read for it: the writes go
        in entity-group batches (new rows, then the accounts rows' dates, then the old rows). Returns how many are
        filed somewhere."""
        moves = [(row, self._scan_key(row, as_of), set(consumed)) for row, consumed in rows]
        changed = [(row, key) for row, key, _ in moves if key != row.agenda_date]
        self._agenda.file_many((key, row.customer_id) for row, key in changed if key is not None)
        self._accounts.set_agenda_dates({row.customer_id: key or "" for row, key in changed})
        self._agenda.remove_many((stale, row.customer_id) for row, key, consumed in moves
                                 for stale in {row.agenda_date or "", *consumed} - {key or "", ""})
        return sum(1 for _, key, _ in moves if key is not None)

    def expected(self, row: AccountRow, as_of: datetime) -> str | None:
        """Where a scan on `as_of` would file this customer, changing nothing (the full sweep's check)."""
        if row.reevaluate:
            return ASAP
        policy = self._policy()
        day = next_evaluation(policy, facts_of(row), as_of.astimezone(policy.zone).date())
        return day_key(day) if day else None

    def _scan_key(self, row: AccountRow, as_of: datetime) -> str | None:
        return self._key(row, lambda policy, _today: next_evaluation(policy, facts_of(row),
                                                                     as_of.astimezone(policy.zone).date()))

    def _move(self, row: AccountRow, key: str | None, consumed: Iterable[str]) -> str | None:
        if key is not None and key != row.agenda_date:
            self._agenda.file(row.customer_id, key)  # the new row first: a crash now leaves two, never none
        if key != row.agenda_date:
            self._accounts.set_agenda_date(row.customer_id, key or "")
        for stale in {row.agenda_date or "", *consumed} - {key or "", ""}:
            self._agenda.remove(stale, row.customer_id)
        return key

    def _key(self, row: AccountRow, when: Callable[[CollectionsPolicy, date], date | None]) -> str | None:
        if row.reevaluate:
            return ASAP
        try:
            policy = self._policy()
            day = when(policy, self._clock().astimezone(policy.zone).date())
        except Exception as exc:  # whatever stops evaluation, the next scan must look at the customer
            log.error("could not compute the next evaluation date of %s (%s); filed for the next scan",
                      row.customer_id, exc)
            return ASAP
        return day_key(day) if day else None


def facts_of(row: AccountRow) -> AccountFacts:
    return AccountFacts(row.customer_id, row.summary, row.hold, row.stage, row.suspended_for_non_payment)
