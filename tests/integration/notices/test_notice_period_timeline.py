"""No suspension without notice, across a collections timeline replayed with --as-of: notices really sent by SMTP,
suspensions really made in the Partner Center sandbox."""

import shutil
from pathlib import Path

import pytest

from lib.app_context import get_context, reset_context
from lib.store.contacts import Contacts
from lib.store.notices import notice_id
from tests.integration.notices.notice_world import ZH_PROFILE, customer_with_invoice, drain, notices_of, scan
from tests.support.suspension_world import pc_status

pytestmark = pytest.mark.integration
ROOT = Path(__file__).parents[3]


def suspended(sandbox, customer) -> bool:
    subs = sandbox.state.subscriptions[customer]
    return all(pc_status(sandbox, customer, sub) == "suspended" for sub in subs)


def test_the_final_notice_names_the_suspension_date_and_the_suspension_comes_on_it(notice_env, pc_sandbox, mailbox):
    customer = customer_with_invoice(pc_sandbox, ZH_PROFILE)
    for day in ("2026-12-01", "2026-12-15"):
        scan(day)
        drain()
    final = next(n for n in notices_of(customer) if n.stage == "final_notice")
    assert final.status == "sent" and str(final.suspension_date) == "2026-12-30"
    assert "2026年12月30日" in mailbox.messages()[-1].message["Subject"]
    scan("2026-12-29")
    assert not suspended(pc_sandbox, customer)
    scan("2026-12-30")
    assert suspended(pc_sandbox, customer)
    assert {n.notice_id for n in notices_of(customer)} == {notice_id(1, "reminder"), notice_id(1, "final_notice")}


def test_a_customer_reaching_suspension_without_notice_gets_it_first_and_is_suspended_seven_days_later(
        notice_env, pc_sandbox, mailbox):
    customer = customer_with_invoice(pc_sandbox, ZH_PROFILE)
    report = scan("2026-12-31")  # first scan of this book: 31 days past due at once
    assert not suspended(pc_sandbox, customer) and report.withheld["notice_period"] == 1
    drain()
    [notice] = notices_of(customer)
    assert (notice.kind, notice.status, str(notice.suspension_date)) == ("pre_suspension", "sent", "2027-01-07")
    assert "2027年1月7日" in mailbox.messages()[0].message["Subject"]
    scan("2027-01-06")
    assert not suspended(pc_sandbox, customer)
    scan("2027-01-07")
    assert suspended(pc_sandbox, customer)
    assert len(mailbox.messages()) == 1  # the daily scans in between made no second notice


def test_a_notice_that_failed_does_not_count_and_the_suspension_waits(notice_env, pc_sandbox, mailbox):
    customer = customer_with_invoice(pc_sandbox, ZH_PROFILE)
    mailbox.answer("RCPT", "550 5.1.1 No such user", times=2)
    scan("2026-12-31")
    drain()
    assert notices_of(customer)[0].status == "failed"
    scan("2027-01-15")
    assert not suspended(pc_sandbox, customer)
    withheld = [a for a in get_context().actions.for_customer(customer) if a.kind == "suspend"]
    assert withheld and withheld[-1].status == "withheld" and withheld[-1].details["withheld_by"] == "notice_period"
    assert len(notices_of(customer)) == 1  # the failed notice is not made again every day to fail again


def test_after_the_contacts_are_fixed_the_notice_before_suspension_goes_again(notice_env, pc_sandbox, mailbox):
    customer = customer_with_invoice(pc_sandbox, ZH_PROFILE)
    mailbox.answer("RCPT", "550 5.1.1 No such user", times=2)
    scan("2026-12-31")
    drain()
    get_context().contacts.put(customer, Contacts(("cfo@yunfan.example.cn",)), actor="ops")
    scan("2027-01-15")
    drain()
    retry = notices_of(customer)[-1]
    assert retry.notice_id == notice_id(1, "pre_suspension-2") and retry.status == "sent"
    assert str(retry.suspension_date) == "2027-01-22" and mailbox.messages()[0].recipients[0] == "cfo@yunfan.example.cn"
    scan("2027-01-21")
    assert not suspended(pc_sandbox, customer)
    scan("2027-01-22")
    assert suspended(pc_sandbox, customer)


def test_a_notice_still_queued_is_waited_for(notice_env, pc_sandbox, mailbox):
    customer = customer_with_invoice(pc_sandbox, ZH_PROFILE)
    scan("2026-12-31")  # the notice is queued, never delivered in this test
    scan("2027-01-08")
    assert not suspended(pc_sandbox, customer)
    drain()
    scan("2027-01-09")
    assert not suspended(pc_sandbox, customer)  # it went out on 01-08: it counts from that day
    scan("2027-01-15")
    assert suspended(pc_sandbox, customer)


def test_with_no_notice_period_the_notice_of_the_same_scan_suffices(notice_env, pc_sandbox, mailbox, tmp_path,
                                                                     monkeypatch):
    text = (ROOT / "policy" / "collections.toml").read_text(encoding="utf-8")
    (tmp_path / "collections.toml").write_text(text.replace("notice_days_before_suspension = 7", ""),
                                               encoding="utf-8")
    shutil.copytree(ROOT / "policy" / "notices", tmp_path / "notices")
    monkeypatch.setenv("COLLECTIONS_POLICY", str(tmp_path / "collections.toml"))
    reset_context()
    customer = customer_with_invoice(pc_sandbox, ZH_PROFILE)
    scan("2026-12-31")
    assert suspended(pc_sandbox, customer)
    drain()
    [notice] = notices_of(customer)
    assert notice.kind == "pre_suspension" and str(notice.suspension_date) == "2026-12-31"
    assert notice.status == "sent"


def test_in_record_mode_a_recorded_notice_counts_and_nothing_is_mailed(app_env, pc_sandbox, mailbox):
    customer = customer_with_invoice(pc_sandbox, ZH_PROFILE)
    scan("2026-12-31")
    assert notices_of(customer)[0].status == "recorded" and not suspended(pc_sandbox, customer)
    scan("2027-01-07")
    assert suspended(pc_sandbox, customer) and mailbox.messages() == []


def test_the_kill_switch_stops_the_suspension_but_not_the_notice(notice_env, pc_sandbox, mailbox, monkeypatch):
    monkeypatch.setenv("ENFORCEMENT_PAUSED", "true")
    reset_context()
    customer = customer_with_invoice(pc_sandbox, ZH_PROFILE)
    scan("2026-12-15")
    drain()
    assert [n.status for n in notices_of(customer)] == ["sent"] and len(mailbox.messages()) == 1
    report = scan("2026-12-30")
    assert report.withheld["kill_switch"] == 1 and not suspended(pc_sandbox, customer)


def test_the_scan_preview_counts_suspensions_the_notice_period_would_hold_back(app_env, pc_sandbox):
    from lib.services.delinquency_scan import as_of_date

    customer = customer_with_invoice(pc_sandbox, ZH_PROFILE)
    context = get_context()
    preview = context.delinquency_scan().preview(as_of_date("2026-12-31", context.policy))
    assert preview.withheld["notice_period"] == 1 and notices_of(customer) == []
    scan("2026-12-15")  # the final notice names 2026-12-30
    preview = context.delinquency_scan().preview(as_of_date("2026-12-31", context.policy))
    assert preview.withheld["notice_period"] == 0
