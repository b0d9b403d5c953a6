"""The scan's agenda on Azurite: where events, holds and scans file a customer, what the daily scan reads, and the
full sweep that reports and repairs what the agenda would have missed."""

import logging
from datetime import date
from pathlib import Path

import pytest

from lib.app_context import get_context
from lib.domain.events import parse_canonical
from lib.domain.policy import Hold
from lib.services.delinquency_scan import as_of_date
from lib.services.full_sweep import ALERT_MESSAGE
from lib.store.agenda import ASAP
from tests.support.billing_events import invoice_issued, new_customer, payment_succeeded
from tests.support.notice_period import notice_day

pytestmark = pytest.mark.integration


def deliver(body, event_id, day="2026-11-20"):
    context = get_context()
    context.clock = lambda: as_of_date(day, context.policy)
    return context.ingestion().ingest(parse_canonical("standard", event_id, body))


def agenda_rows():
    table = get_context().tables.table("agenda")
    return sorted((r.partition_key, r.row_key) for r in table.query("PartitionKey ge ''"))


def filed(customer):
    return get_context().accounts.get(customer).agenda_date


def scan(day):
    context = get_context()
    as_of = as_of_date(day, context.policy)
    context.clock = lambda: as_of
    return context.delinquency_scan().run(as_of)


def owing(due="2026-11-30T23:59:59+08:00", amount=1_250_000, invoice="INV-1"):
    customer = new_customer()
    deliver(invoice_issued(customer, invoice, amount, due_at=due), f"{customer}-{invoice}")
    return customer


def test_an_issued_invoice_files_the_customer_the_day_after_it_falls_due(app_env):
    customer = owing()
    assert filed(customer) == "20261201"
    assert agenda_rows() == [("20261201", customer)]


def test_an_earlier_invoice_moves_the_customer_and_removes_the_old_row(app_env):
    customer = owing()
    deliver(invoice_issued(customer, "INV-0", 5000, due_at="2026-11-25T23:59:59+08:00"), "inv-0")
    assert agenda_rows() == [("20261126", customer)]
    deliver(payment_succeeded(customer, "PAY-ALL", 1_255_000), "pay-all")
    assert agenda_rows() == [] and filed(customer) is None  # nothing owed: nothing the calendar can change


def test_a_hold_change_refiles_the_customer(app_env):
    customer = owing(due="2026-11-10T23:59:59+08:00")
    scan("2026-11-20")  # reminder; next: final_notice on 11-25
    assert filed(customer) == "20261125"
    get_context().accounts.set_hold(customer, Hold("exemption", date(2026, 12, 20)), actor="ops")
    # After an event the customer is filed on the first date a scan would act, however early: the next scan.
    assert filed(customer) <= "20261121" and len(agenda_rows()) == 1
    assert scan("2026-11-21").changed == 0
    assert agenda_rows() == [("20261221", customer)]  # the exemption freezes the stage until it ends
    get_context().accounts.clear_hold(customer, actor="ops")
    assert scan("2026-11-22").changed == 0
    assert agenda_rows() == [("20261125", customer)]


def test_the_daily_scan_reads_only_what_is_due_and_refiles_it(app_env):
    due_now = owing(due="2026-11-30T23:59:59+08:00")
    later = owing(due="2026-12-20T23:59:59+08:00")
    scan("2026-11-20")  # the agenda's first run reads every account (see below)
    report = scan("2026-12-01")
    assert report.accounts == 1 and [c.customer_id for c in report.changes] == [due_now]
    assert filed(due_now) == "20261215" and filed(later) == "20261221"
    assert agenda_rows() == sorted([("20261215", due_now), ("20261221", later)])
    last = get_context().runs.last("delinquency_scan")
    assert last.counts["agenda"]["due"] == 1 and last.counts["agenda"]["through"] == "20261201"


def test_a_row_a_previous_run_left_undone_is_read_by_the_next_run(app_env):
    customer = owing()
    scan("2026-11-28")  # nothing due; the watermark is now 11-28
    context = get_context()
    context.agenda.file(customer, "20261127")  # a row an interrupted run left behind
    report = scan("2026-11-29")
    assert report.accounts == 1 and report.changed == 0
    counts = context.runs.last("delinquency_scan").counts["agenda"]
    assert counts["left_undone"] == 1 and counts["watermark"] == "20261128"
    assert agenda_rows() == [("20261201", customer)]


def test_a_customer_whose_policy_evaluation_failed_is_filed_for_the_next_scan(app_env):
    customer = owing()
    get_context().accounts.mark_for_reevaluation(customer, reason="policy: test")
    assert get_context().agenda_filing().after_event(customer) == ASAP
    report = scan("2026-11-21")
    assert report.accounts == 1 and get_context().accounts.get(customer).reevaluate is False
    assert agenda_rows() == [("20261201", customer)]


def test_the_full_sweep_reports_and_repairs_what_the_agenda_would_have_missed(app_env, caplog):
    missed, fine = owing(), owing(due="2026-11-30T23:59:59+08:00", invoice="INV-2")
    context = get_context()
    context.agenda.remove("20261201", missed)  # lost: no row, and the accounts row forgets its date
    context.accounts.set_agenda_date(missed, "")
    as_of = as_of_date("2026-12-02", context.policy)
    context.clock = lambda: as_of
    with caplog.at_level(logging.ERROR, logger="csp_guard.full_sweep"):
        report = context.full_sweep().run(as_of)
    assert report.missed == [missed] and report.changed == 2
    alert = next(r for r in caplog.records if ALERT_MESSAGE in r.getMessage())
    assert alert.alert is True and missed in alert.getMessage() and fine not in alert.getMessage()
    last = context.runs.last("full_sweep")
    assert last.counts["missed"] == 1 and last.counts["missed_customers"] == [missed]
    assert last.status == "failed"  # someone should find out how the agenda lost it
    assert filed(missed) == filed(fine) == "20261215"
    assert ("20261215", missed) in agenda_rows()


def test_a_sweep_of_a_healthy_agenda_reports_nothing(app_env):
    owing()
    context = get_context()
    as_of = as_of_date("2026-12-01", context.policy)
    report = context.full_sweep().run(as_of)
    assert (report.missed, report.late, report.changed) == ([], [], 1)
    assert context.runs.last("full_sweep").status == "succeeded"


def test_rebuilding_the_summaries_puts_each_customer_back_on_the_agenda(app_env):
    from lib.services.rebuild_summaries import rebuild_summaries

    customer = owing()
    context = get_context()
    context.agenda.remove("20261201", customer)
    context.accounts.set_agenda_date(customer, "")
    rebuild_summaries(context.ledger, context.accounts, context.agenda_filing().after_event)
    assert agenda_rows() == [("20261201", customer)] and filed(customer) == "20261201"


def test_an_operator_lifting_a_non_payment_suspension_puts_the_customer_back_before_the_next_scan(app_env, pc_sandbox):
    from tests.support.suspension_world import pc_status, seeded_customer

    customer, subs = seeded_customer(pc_sandbox, ("active",))
    deliver(invoice_issued(customer, "INV-1", 1_250_000), "inv-1")
    scan(notice_day("2026-12-31", get_context().policy))  # the notice that names the day of suspension
    scan("2026-12-31")
    assert pc_status(pc_sandbox, customer, subs[0]) == "suspended" and filed(customer) is None
    get_context().suspension().restore(customer, reason="non_payment", actor="ops", note="goodwill")
    assert filed(customer) is not None and filed(customer) <= "20270101"
    report = scan("2027-01-01")  # the full scan would suspend again: so does the agenda's
    assert report.suspended == 1 and pc_status(pc_sandbox, customer, subs[0]) == "suspended"


def test_the_first_scan_and_the_first_after_a_policy_change_read_every_account(app_env, monkeypatch, tmp_path):
    customer = owing()
    context = get_context()
    context.agenda.remove("20261201", customer)  # e.g. a book from before the agenda existed
    context.accounts.set_agenda_date(customer, "")
    assert scan("2026-11-20").accounts == 1 and filed(customer) == "20261201"  # read anyway, and filed
    assert scan("2026-11-21").accounts == 0
    stricter = tmp_path / "collections.toml"
    text = Path("policy/collections.toml").read_text(encoding="utf-8")
    stricter.write_text(text.replace("days_past_due = 15", "days_past_due = 14", 1), encoding="utf-8")
    monkeypatch.setenv("COLLECTIONS_POLICY", str(stricter))
    from lib.app_context import reset_context

    reset_context()
    assert scan("2026-11-22").accounts == 1
    assert scan("2026-11-23").accounts == 0
