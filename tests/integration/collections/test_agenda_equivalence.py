"""Random books (invoices, payments, holds) driven day by day through three copies of the app on Azurite: one whose
daily scan reads the agenda and acts (an operator's scan), one whose timer hands the agenda's customers to the
due-customers queue function, and one that scans the whole index. Every day all three must make the same
decisions."""

import json
import os
import uuid
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.app_context import AppContext
from lib.domain.events import parse_canonical
from lib.domain.policy import Hold
from lib.services.delinquency_scan import ScanReport, as_of_date
from lib.settings import load_settings
from tests.fixtures.sandbox import seed
from tests.support.billing_events import invoice_issued, payment_succeeded

pytestmark = pytest.mark.integration
START = date(2026, 11, 1)
DAYS = 60
CUSTOMERS = 3

invoices = st.tuples(st.just("invoice"), st.integers(0, DAYS - 1), st.integers(-10, 25),
                     st.sampled_from([800, 150_000, 1_250_000]))
payments = st.tuples(st.just("payment"), st.integers(0, DAYS - 1), st.integers(0, 0),
                     st.sampled_from([500, 150_000, 2_000_000]))
holds = st.tuples(st.sampled_from(["exemption", "promise_to_pay"]), st.integers(0, DAYS - 1), st.integers(0, 20),
                  st.just(0))
clears = st.tuples(st.just("clear"), st.integers(0, DAYS - 1), st.just(0), st.just(0))
# Each customer owes from the first days and gets a hold mid-way (so stages rise, holds freeze and end), then a
# few random events; a payment may clear the book, a later invoice reopen it.
opening = st.tuples(st.just("invoice"), st.integers(0, 5), st.integers(-15, 5), st.just(1_250_000))
mid_hold = st.tuples(st.sampled_from(["exemption", "promise_to_pay"]), st.integers(10, 40), st.integers(0, 15),
                     st.just(0))
customer_books = st.builds(lambda first, hold, rest: [first, hold, *rest], opening, mid_hold,
                           st.lists(invoices | payments | holds | clears, max_size=3))
books = st.lists(customer_books, min_size=CUSTOMERS, max_size=CUSTOMERS)


def twin(name: str, sandbox) -> tuple[AppContext, list[str]]:
    env = {**os.environ, "CSPGUARD_TABLE_PREFIX": f"t{uuid.uuid4().hex[:10]}{name}"}
    context = AppContext(load_settings(env))
    customers = [str(uuid.uuid4()) for _ in range(CUSTOMERS)]
    seed(sandbox, [{"id": c, "companyName": "测试", "subscriptions": [{"id": str(uuid.uuid4()), "offerName": "o",
                                                                       "status": "active"}]} for c in customers])
    return context, customers


def happen(context: AppContext, customer: str, n: int, step: tuple[str, int, int, int], day: date) -> None:
    kind, _, offset, amount = step
    if kind == "invoice":
        due = f"{(day + timedelta(days=offset)).isoformat()}T23:59:59+08:00"
        body = invoice_issued(customer, f"INV-{n}", amount, due_at=due, issued_at=f"{day.isoformat()}T00:00:00+08:00")
    elif kind == "payment":
        body = payment_succeeded(customer, f"PAY-{n}", amount, paid_at=f"{day.isoformat()}T10:00:00+08:00")
    elif kind == "clear":
        context.accounts.clear_hold(customer, actor="ops")
        return
    else:
        context.accounts.set_hold(customer, Hold(kind, day + timedelta(days=offset)), actor="ops")  # type: ignore[arg-type]
        return
    context.ingestion().ingest(parse_canonical("standard", f"{customer}-{n}", body))


def decisions(report, customers: list[str]) -> list[tuple[object, ...]]:
    index = {c: i for i, c in enumerate(customers)}
    return sorted((index[c.customer_id], c.from_stage, c.to_stage, c.suspend, c.restore, c.notify)
                  for c in report.changes)


def timer_scan(context: AppContext, as_of) -> ScanReport:
    """The timer's scan, then the queue function on every message it sent, as one report."""
    sent: list[Mapping[str, Any]] = []
    dispatched = context.delinquency_scan().dispatch(as_of, sent.append)  # the first files every account first
    assert dispatched.status == "succeeded"
    acting = context.due_customers()
    merged = ScanReport(as_of=as_of, dry_run=False)
    for message in sent:
        report = acting.handle(json.dumps(message).encode())
        merged.changes.extend(report.changes)
        merged.suspended += report.suspended
        merged.restored += report.restored
    return merged


@settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck))
@given(book=books)
def test_the_agenda_and_the_full_scan_decide_alike_every_day(app_env, pc_sandbox, book):
    agenda, agenda_ids = twin("a", pc_sandbox)
    timer, timer_ids = twin("t", pc_sandbox)
    full, full_ids = twin("f", pc_sandbox)
    twins = ((agenda, agenda_ids), (timer, timer_ids), (full, full_ids))
    try:
        for offset in range(DAYS):
            day = START + timedelta(days=offset)
            as_of = as_of_date(day.isoformat(), agenda.policy)
            for context, ids in twins:
                context.clock = lambda as_of=as_of: as_of
                for c, steps in enumerate(book):
                    for n, step in enumerate(steps):
                        if step[1] == offset:
                            happen(context, ids[c], n, step, day)
            by_agenda = agenda.delinquency_scan().run(as_of)
            by_timer = timer_scan(timer, as_of)
            by_full = full.full_scan().run(as_of)
            assert decisions(by_agenda, agenda_ids) == decisions(by_full, full_ids), day
            assert decisions(by_timer, timer_ids) == decisions(by_full, full_ids), day
            for report in (by_agenda, by_timer):
                assert (report.suspended, report.restored) == (by_full.suspended, by_full.restored), day
            stages = [[getattr(context.accounts.get(c), "stage", None) for c in ids] for context, ids in twins]
            assert stages[0] == stages[1] == stages[2], day
        end = as_of_date((START + timedelta(days=DAYS)).isoformat(), agenda.policy)
        for context in (agenda, timer):
            sweep = context.full_sweep().run(end)
            assert (sweep.missed, sweep.late) == ([], [])
    finally:
        for context, _ in twins:
            context.tables.drop_tables()
