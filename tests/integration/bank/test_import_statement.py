"""Importing bank statements on Azurite: matching by account and name, the invoice in the memo, unmatched transfers,
idempotency on the serial, all-or-nothing validation, and restore on payment in the Partner Center sandbox."""

import json
import re
from pathlib import Path

import pytest

from lib.app_context import get_context
from lib.domain.events import parse_canonical
from lib.services.delinquency_scan import as_of_date
from lib.services.payers import parse_payers
from tests.support.bank_statements import cmb_csv, cmb_row, generic_csv
from tests.support.billing_events import invoice_issued, new_customer
from tests.support.notice_period import notice_day
from tests.support.suspension_world import pc_status, seeded_customer

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bank"


def register(customer, accounts=(), names=()):
    get_context().payers.register(customer, parse_payers({"accounts": list(accounts), "names": list(names)}),
                                  actor="ops")


def owe(customer, invoice_id, amount, due="2026-11-30T23:59:59+08:00"):
    body = invoice_issued(customer, invoice_id, amount, due_at=due)
    get_context().ingestion().ingest(parse_canonical("standard", f"inv-{invoice_id}-{customer}", body))


def scan(day):
    context = get_context()
    as_of = as_of_date(day, context.policy)
    context.clock = lambda: as_of  # the import's payment hook decides as of that day too
    return context.delinquency_scan().run(as_of)


def run(data, fmt="cmb", **options):
    return get_context().statement_import().run(data, fmt, source="statement.csv", **options)


def payments(customer):
    return {f.row_key: f for f in get_context().ledger.load(customer, fresh=True).facts.values()
            if f.row_key.startswith("pay:")}


def test_the_cmb_sample_matches_by_account_and_by_name_and_keeps_the_stranger_for_an_operator(app_env):
    xinghe, lanhai = new_customer(), new_customer()
    register(xinghe, accounts=["7559-0000-1110-201"])
    register(lanhai, names=["北京蓝海(集团)股份有限公司"])
    owe(xinghe, "INV-2026-11-0041", 5_000_000)
    owe(xinghe, "INV-2026-11-0042", 12_500_000)
    report = run((FIXTURES / "cmb.csv").read_bytes())
    assert report.imported and report.kind == "gbk"
    assert (report.rows, report.matched, report.unmatched, report.duplicate, report.debits, report.bad) == \
        (4, 2, 1, 0, 1, 0)
    [paid] = payments(xinghe).values()
    assert (paid.amount, paid.invoice_id, paid.payment_id) == (12_500_000, "INV-2026-11-0042", "bank:K2026112000001")
    open_ids = [i.invoice_id for i in get_context().accounts.get(xinghe).summary.open_invoices]
    assert open_ids == ["INV-2026-11-0041"]  # the memo's invoice was paid, not the oldest one
    assert [p.amount for p in payments(lanhai).values()] == [880_050]
    kept = get_context().unmatched.get("bank", "K2026112300011")
    assert kept is not None and kept.status == "open" and [f.row_key for f in kept.facts] == ["pay:bank:K2026112300011"]
    assert json.loads(kept.body_excerpt)["payer_name"] == "无名贸易有限公司"


def test_importing_the_same_statement_again_records_nothing_new(app_env):
    customer = new_customer()
    register(customer, accounts=["755900001110201"], names=["北京蓝海(集团)"])
    data = (FIXTURES / "cmb.csv").read_bytes()
    first = run(data)
    ledger_rows = sorted(r.row_key for r in get_context().tables.table("ledger").partition(customer))
    again = run(data)
    assert (first.matched, first.unmatched) == (2, 1)
    assert (again.matched, again.unmatched, again.duplicate, again.debits) == (0, 0, 3, 1)
    assert sorted(r.row_key for r in get_context().tables.table("ledger").partition(customer)) == ledger_rows
    assert get_context().accounts.get(customer).summary.unapplied_credit == 12_500_000 + 880_050


def test_an_unmatched_transfer_assigned_by_an_operator_is_not_reopened_by_a_second_import(app_env):
    customer = new_customer()
    data = (FIXTURES / "cmb.csv").read_bytes()
    assert run(data).unmatched == 3
    context = get_context()
    assigned = context.unmatched_assignment().assign("bank", "K2026112000001", customer_id=customer, actor="ops")
    assert assigned.status == "recorded"
    again = run(data)
    assert again.duplicate == 3 and again.unmatched == 0
    assert context.unmatched.get("bank", "K2026112000001").status == "assigned"
    assert [p.amount for p in payments(customer).values()] == [12_500_000]


def test_a_statement_with_bad_rows_imports_nothing_unless_asked_to_skip_them(app_env):
    customer = new_customer()
    register(customer, names=["甲有限公司"])
    data = cmb_csv([cmb_row("20261120", "10:00:00", "S1", credit="100.00", name="甲有限公司"),
                    cmb_row("20261120", "10:00:00", "S2", credit="1.001", name="甲有限公司")])
    refused = run(data)
    assert not refused.imported and [(e.line, e.field) for e in refused.errors] == [(8, "贷方金额")]
    assert get_context().ledger.load(customer, fresh=True).facts == {}
    skipped = run(data, skip_bad=True)
    assert skipped.imported and (skipped.matched, skipped.bad) == (1, 1)
    assert [p.amount for p in payments(customer).values()] == [10_000]


def test_a_header_error_imports_nothing_even_with_skip_bad(app_env):
    report = run(generic_csv([["2026-11-20", "G1", "甲", "", "1.00", ""]]), "cmb", skip_bad=True)
    assert not report.imported and report.errors[0].field == "header"


def test_an_invoice_pattern_names_an_invoice_for_a_generic_statement(app_env):
    customer = new_customer()
    register(customer, accounts=["110022334455"])
    owe(customer, "INV-A", 100_000, due="2026-11-10T23:59:59+08:00")
    owe(customer, "FP-77", 200_000, due="2026-11-30T23:59:59+08:00")
    data = generic_csv([["2026-11-20", "G1", "Contoso", "1100 2233 4455", "2,000.00", "发票 fp-77"]])
    report = run(data, "generic", invoice_pattern=re.compile(r"(?i)发票\s*(\S+)"))
    assert report.matched == 1
    [paid] = payments(customer).values()
    assert paid.invoice_id == "FP-77"  # the open invoice found in the memo, case aside


def test_a_debtor_suspended_for_non_payment_regains_access_within_the_import(app_env, pc_sandbox):
    customer, subs = seeded_customer(pc_sandbox, ("active", "active"))
    register(customer, names=["深圳市星河科技有限公司"])
    owe(customer, "INV-2026-11-0042", 12_500_000)
    scan(notice_day("2026-12-30", get_context().policy))
    scan("2026-12-30")
    assert [pc_status(pc_sandbox, customer, s) for s in subs] == ["suspended", "suspended"]
    assert get_context().accounts.get(customer).suspended_for_non_payment is True
    report = run((FIXTURES / "cmb.csv").read_bytes())
    assert report.matched == 1
    assert [pc_status(pc_sandbox, customer, s) for s in subs] == ["active", "active"]
    assert get_context().accounts.get(customer).suspended_for_non_payment is False
    restore = [a for a in get_context().actions.for_customer(customer) if a.kind == "restore"]
    assert restore[-1].actor == "payment" and restore[-1].status == "confirmed"


def test_a_transfer_stays_with_its_first_customer_when_the_payers_change_before_the_next_import(app_env):
    first, second = new_customer(), new_customer()
    register(first, accounts=["755900001110201"])
    data = (FIXTURES / "cmb.csv").read_bytes()
    assert run(data).matched == 1
    register(first)  # the account moves to another customer
    register(second, accounts=["755900001110201"])
    again = run(data)
    assert (again.matched, again.duplicate) == (0, 3)
    assert payments(second) == {} and list(payments(first)) == ["pay:bank:K2026112000001"]
    held = get_context().tables.table("transfers").get("K2026112000001", "transfer")
    assert held.text("customer_id") == first and held.integer("amount") == 12_500_000
