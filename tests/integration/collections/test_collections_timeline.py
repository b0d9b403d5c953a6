"""The collections loop end to end in-process: webhooks into the ledger, scans --as-of through the policy's
stages, suspension and restore in the Partner Center sandbox, all on Azurite."""

from datetime import UTC, date, datetime

import pytest

from lib.app_context import get_context, reset_context
from lib.domain.events import parse_canonical
from lib.domain.policy import Hold
from lib.services.delinquency_scan import as_of_date
from lib.store.leases import LeaseHeld
from tests.fixtures.sandbox import sandbox_calls
from tests.support.billing_events import canonical, invoice_issued, payment_succeeded
from tests.support.suspension_world import pc_status, seeded_customer

pytestmark = pytest.mark.integration
FINAL_NOTICE_DAY = "2026-12-15"  # its notice names the suspension date, 15 days (more than the 7 required) ahead


def deliver(body, event_id):
    return get_context().ingestion().ingest(parse_canonical("standard", event_id, body))


def scan(day: str):
    """A scan as of that day; webhooks delivered after it are evaluated as of that day too."""
    context = get_context()
    as_of = as_of_date(day, context.policy)
    context.clock = lambda: as_of
    return context.delinquency_scan().run(as_of)


def stage_of(customer):
    return get_context().accounts.get(customer).stage


def owing_customer(pc_sandbox, *, amount=1_250_000, due="2026-11-30T23:59:59+08:00", statuses=("active", "active")):
    customer, subs = seeded_customer(pc_sandbox, statuses)
    deliver(invoice_issued(customer, "INV-2026-11-0042", amount, issued_at="2026-11-01T00:00:00+08:00",
                           due_at=due), f"inv-{customer}")
    return customer, subs


def test_an_unpaid_invoice_moves_through_the_stages_exactly_on_their_days(app_env, pc_sandbox):
    customer, subs = owing_customer(pc_sandbox)
    timeline = [("2026-11-30", "current"), ("2026-12-01", "reminder"), ("2026-12-08", "reminder"),
                ("2026-12-14", "reminder"), ("2026-12-15", "final_notice"), ("2026-12-29", "final_notice"),
                ("2026-12-30", "suspension")]
    for day, expected in timeline:
        report = scan(day)
        assert (stage_of(customer) or "current") == expected, day
        suspended = [pc_status(pc_sandbox, customer, s) for s in subs] == ["suspended", "suspended"]
        assert suspended == (expected == "suspension"), day
        assert report.status == "succeeded"
    notes = [a for a in get_context().actions.for_customer(customer) if a.kind == "notify"]
    assert [a.details["stage"] for a in notes] == ["reminder", "final_notice"]


def test_a_partial_payment_does_not_restore_but_the_full_payment_restores_within_its_webhook(app_env, pc_sandbox):
    customer, subs = owing_customer(pc_sandbox)
    scan(FINAL_NOTICE_DAY)
    scan("2026-12-30")
    assert pc_status(pc_sandbox, customer, subs[0]) == "suspended"
    deliver(payment_succeeded(customer, "PAY-1", 500_000, invoice_id="INV-2026-11-0042"), "pay-1")
    assert pc_status(pc_sandbox, customer, subs[0]) == "suspended"  # 750,000 still overdue
    deliver(payment_succeeded(customer, "PAY-2", 750_000, invoice_id="INV-2026-11-0042"), "pay-2")
    assert [pc_status(pc_sandbox, customer, s) for s in subs] == ["active", "active"]
    assert get_context().accounts.get(customer).suspended_for_non_payment is False
    restore = [a for a in get_context().actions.for_customer(customer) if a.kind == "restore"]
    assert restore[-1].actor == "payment" and restore[-1].status == "confirmed"


def test_a_promise_to_pay_holds_off_suspension_until_its_date_has_passed(app_env, pc_sandbox):
    customer, subs = owing_customer(pc_sandbox, due="2026-11-10T23:59:59+08:00")
    get_context().accounts.set_hold(customer, Hold("promise_to_pay", date(2026, 12, 20), "CFO promised"),
                                    actor="ops")
    scan("2026-12-10")
    scan("2026-12-20")
    assert pc_status(pc_sandbox, customer, subs[0]) == "active"
    # The hold kept the stage at current, so no notice named a date: the notice comes first, 7 days ahead.
    scan("2026-12-21")
    assert pc_status(pc_sandbox, customer, subs[0]) == "active"
    scan("2026-12-28")
    assert pc_status(pc_sandbox, customer, subs[0]) == "suspended"


def test_a_disputed_customer_is_not_suspended_for_non_payment(app_env, pc_sandbox):
    customer, subs = owing_customer(pc_sandbox)
    deliver(canonical("dispute.opened", customer_id=customer, dispute_id="DSP-1", payment_id="PAY-X", amount=1000,
                      currency="CNY"), "dsp-1")
    report = scan("2026-12-31")
    assert stage_of(customer) == "suspension"
    assert pc_status(pc_sandbox, customer, subs[0]) == "active"
    assert report.withheld["suspend"] >= 1


def test_the_cap_stops_a_mass_suspension_and_health_degrades(app_env, pc_sandbox, monkeypatch):
    monkeypatch.setenv("MAX_SUSPENSIONS_PER_RUN", "2")
    reset_context()
    raised: list[tuple[str, str, dict[str, object]]] = []
    get_context().ops_alert = lambda kind, summary, details: raised.append((kind, summary, details))
    customers = [owing_customer(pc_sandbox, statuses=("active",)) for _ in range(4)]
    scan(FINAL_NOTICE_DAY)
    report = scan("2026-12-31")
    suspended = sum(pc_status(pc_sandbox, c, s[0]) == "suspended" for c, s in customers)
    assert suspended == 2 and report.suspended == 2 and report.withheld["cap"] == 2
    assert report.status == "stopped" and "blast-radius cap reached" in report.stopped
    # operators hear of each suspension made, and once of the cap
    assert sorted(kind for kind, _, _ in raised) == ["cap_reached", "suspension_made", "suspension_made"]
    assert {d["customer_id"] for k, _, d in raised if k == "suspension_made"} == {
        c for c, s in customers if pc_status(pc_sandbox, c, s[0]) == "suspended"}
    from lib.services.health_check import check_health, check_status

    assert check_health(get_context().settings).components["timers"] == "degraded"
    status = check_status(get_context().settings)
    assert status.status == "degraded"
    assert status.timers["delinquency_scan"]["status"] == "stopped"


def test_the_kill_switch_withholds_every_automatic_suspension(app_env, pc_sandbox, monkeypatch):
    monkeypatch.setenv("ENFORCEMENT_PAUSED", "true")
    reset_context()
    raised: list[tuple[str, str, dict[str, object]]] = []
    get_context().ops_alert = lambda kind, summary, details: raised.append((kind, summary, details))
    customer, _subs = owing_customer(pc_sandbox)
    scan(FINAL_NOTICE_DAY)
    report = scan("2026-12-31")
    assert report.withheld["kill_switch"] == 1
    assert [(kind, details["customer_id"]) for kind, _, details in raised] == [("suspension_withheld", customer)]
    assert sandbox_calls(pc_sandbox, method="PATCH") == []


def test_shadow_mode_decides_and_records_but_makes_no_patch(app_env, pc_sandbox, monkeypatch):
    monkeypatch.setenv("ENFORCEMENT_MODE", "shadow")
    reset_context()
    customer, _ = owing_customer(pc_sandbox)
    scan(FINAL_NOTICE_DAY)
    scan("2026-12-31")
    assert sandbox_calls(pc_sandbox, method="PATCH") == []
    shadow = [a for a in get_context().actions.for_customer(customer) if a.kind == "suspend"]
    assert shadow and shadow[0].status == "shadow"


def test_a_preview_shows_the_change_and_changes_nothing(app_env, pc_sandbox):
    customer, _ = owing_customer(pc_sandbox)
    context = get_context()
    preview = context.delinquency_scan().preview(as_of_date("2026-12-31", context.policy))
    change = next(c for c in preview.changes if c.customer_id == customer)
    assert change.suspend and change.to_stage == "suspension" and "31 days past due" in change.decision.reason
    assert stage_of(customer) is None
    assert sandbox_calls(pc_sandbox, method="PATCH") == []
    assert context.runs.last("delinquency_scan") is None


def test_a_second_scan_at_the_same_time_is_refused(app_env, pc_sandbox):
    context = get_context()
    lease = context.leases.acquire("delinquency_scan", duration=__import__("datetime").timedelta(minutes=5))
    with pytest.raises(LeaseHeld):
        scan("2026-12-31")
    context.leases.release(lease)
    assert scan("2026-12-31").status == "succeeded"


def test_each_run_is_recorded_with_its_counts(app_env, pc_sandbox):
    owing_customer(pc_sandbox)
    report = scan("2026-12-01")
    last = get_context().runs.last("delinquency_scan")
    assert last.run_id == report.run_id and last.status == "succeeded"
    assert last.counts["stages"]["reminder"] == 1 and last.counts["accounts"] == 1
    assert last.finished_at is not None and last.finished_at <= datetime.now(UTC)


def test_a_customer_suspended_while_enforcing_is_restored_on_payment_after_a_switch_to_shadow(app_env, pc_sandbox,
                                                                                              monkeypatch):
    customer, subs = owing_customer(pc_sandbox)
    scan(FINAL_NOTICE_DAY)
    scan("2026-12-31")
    assert pc_status(pc_sandbox, customer, subs[0]) == "suspended"
    monkeypatch.setenv("ENFORCEMENT_MODE", "shadow")
    reset_context()
    get_context().clock = lambda: as_of_date("2027-01-02", get_context().policy)
    deliver(payment_succeeded(customer, "PAY-ALL", 1_250_000, invoice_id="INV-2026-11-0042"), "pay-all")
    assert [pc_status(pc_sandbox, customer, s) for s in subs] == ["active", "active"]
    assert get_context().accounts.get(customer).suspended_for_non_payment is False
