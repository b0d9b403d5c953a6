"""Reconcile adopts only its own suspensions, a failed suspension is not one, and retries are bounded (issue 12.3).

Against the sandbox and Azurite: a PATCH that timed out may be taken as ours when Partner Center shows it applied;
after a definite refusal (4xx, or 429/5xx outlasting the retries) a suspension found later is someone else's."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from lib.app_context import get_context
from lib.domain.events import parse_canonical
from lib.partner_center.client import PartnerCenterClient
from lib.partner_center.retry import RetryPolicy
from lib.partner_center.tokens import StaticTokenProvider
from lib.services.delinquency_scan import as_of_date
from lib.services.reconcile import MAX_ATTEMPTS, Reconciler
from lib.services.write_gate import Asker
from lib.store.leases import CustomerLocks, Leases
from lib.store.runs import RunLog
from tests.fixtures.sandbox import SANDBOX_TOKEN, fault, sandbox_calls
from tests.support.billing_events import invoice_issued
from tests.support.notice_period import notice_day
from tests.support.suspension_world import pc_status, seeded_customer, world

pytestmark = pytest.mark.integration


def later() -> datetime:
    """Past reconcile's settling time for what a test just did (taken when asked: the suite runs for minutes)."""
    return datetime.now(UTC) + timedelta(minutes=5)


class RecordedAlerts:
    def __init__(self):
        self.alerts = []

    def raise_alert(self, kind, summary, details):
        self.alerts.append((kind, summary, details))


def impatient_client(sandbox, pc_sleeps):
    """One attempt, a short read timeout: a slow PATCH ends without an answer."""
    return PartnerCenterClient(sandbox.url, StaticTokenProvider(SANDBOX_TOKEN), sleep=pc_sleeps,
                               retry=RetryPolicy(total=0, read_timeout=0.4, timeout=10))


def suspended_without_answer(tables, sandbox, pc_sleeps):
    """A suspension whose PATCH landed in Partner Center after the client had given up waiting for its answer."""
    customer, subs = seeded_customer(sandbox, ("active",))
    client = impatient_client(sandbox, pc_sleeps)
    w = world(tables, client)
    fault(sandbox, path="/subscriptions/", method="PATCH", delay_ms=800, times=1)
    action = w.service.suspend(customer, asker=Asker.AUTOMATIC, reason="non_payment", actor="scan")
    landed(sandbox, customer, subs[0])
    return customer, subs, client, w, action


def landed(sandbox, customer, sub):
    for _ in range(100):
        if pc_status(sandbox, customer, sub) == "suspended":
            return
        time.sleep(0.05)
    raise AssertionError("the delayed PATCH never landed")


def patches(sandbox):
    return sandbox_calls(sandbox, method="PATCH")


def clear_faults(sandbox):
    requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=10)


def reconciler(tables, client, w, alerts=None):
    return Reconciler(client, w.service, w.actions, w.subscriptions, RunLog(tables.table("runs")), alerts=alerts)


def test_a_patch_that_timed_out_but_landed_is_taken_as_ours_and_restored_later(tables, pc_sandbox, pc_sleeps):
    customer, subs = seeded_customer(pc_sandbox, ("active",))
    client = impatient_client(pc_sandbox, pc_sleeps)
    w = world(tables, client)
    fault(pc_sandbox, path="/subscriptions/", method="PATCH", delay_ms=1200, times=1)  # applied, answered too late
    action = w.service.suspend(customer, asker=Asker.AUTOMATIC, reason="non_payment", actor="scan")
    assert action.status == "failed" and action.targets[0]["answer"] == "none"
    assert w.subscriptions.get(customer, subs[0]).unanswered_request_id == action.targets[0]["request_id"]
    landed(pc_sandbox, customer, subs[0])
    done = w.service.complete(action)
    assert done.status == "confirmed" and len(patches(pc_sandbox)) == 1  # found applied; never sent again
    state = w.subscriptions.get(customer, subs[0])
    assert state.suspended_by_us and state.unanswered_request_id is None
    w.service.restore(customer, reason="non_payment", actor="payment")
    assert pc_status(pc_sandbox, customer, subs[0]) == "active"


@pytest.mark.parametrize("status", [500, 429, 409, 400])
def test_after_a_definite_refusal_a_suspension_found_later_is_someone_elses_and_never_restored(
        tables, pc_sandbox, pc_client, status):
    customer, subs = seeded_customer(pc_sandbox, ("active",))
    w = world(tables, pc_client)
    fault(pc_sandbox, path="/subscriptions/", method="PATCH", status=status, times=-1)
    action = w.service.suspend(customer, asker=Asker.AUTOMATIC, reason="fraud", actor="poll")
    assert action.status == "failed" and action.targets[0]["answer"] == "refused"
    assert w.subscriptions.get(customer, subs[0]).reasons == frozenset()  # a failed suspension holds nothing
    clear_faults(pc_sandbox)
    pc_sandbox.state.subscriptions[customer][subs[0]]["status"] = "suspended"  # an operator, in the portal
    sent = len(patches(pc_sandbox))
    reconciler(tables, pc_client, w).run(now=later())
    state = w.subscriptions.get(customer, subs[0])
    assert not state.suspended_by_us and len(patches(pc_sandbox)) == sent
    w.service.restore(customer, reason="fraud", actor="ops")
    assert pc_status(pc_sandbox, customer, subs[0]) == "suspended" and len(patches(pc_sandbox)) == sent


def test_reconcile_retries_a_failed_suspension_a_bounded_number_of_times_then_alerts(tables, pc_sandbox, pc_client):
    customer, _subs = seeded_customer(pc_sandbox, ("active",))
    pc_client.retry = RetryPolicy(total=0)
    w = world(tables, pc_client)
    alerts = RecordedAlerts()
    fault(pc_sandbox, path="/subscriptions/", method="PATCH", status=503, times=-1)
    action = w.service.suspend(customer, asker=Asker.AUTOMATIC, reason="fraud", actor="poll")
    reports = [reconciler(tables, pc_client, w, alerts).run(now=later()) for _ in range(MAX_ATTEMPTS)]
    assert len(patches(pc_sandbox)) == MAX_ATTEMPTS  # the first try and the retries, then no more
    assert [r.abandoned for r in reports] == [0] * (MAX_ATTEMPTS - 2) + [1, 0]
    final = w.actions.get(customer, action.action_id)
    assert final.status == "abandoned" and final.attempts == MAX_ATTEMPTS
    assert [(kind, details["action_id"]) for kind, _, details in alerts.alerts] == [
        ("reconcile_gave_up", action.action_id)]
    assert RunLog(tables.table("runs")).last("reconcile").status == "succeeded"  # nothing left to retry


@pytest.mark.parametrize(("mode", "paused"), [("shadow", False), ("enforce", True), ("review", False)])
def test_reconcile_resends_a_failed_suspension_only_where_the_gate_allows_an_automatic_write(
        tables, pc_sandbox, pc_client, mode, paused):
    customer, subs = seeded_customer(pc_sandbox, ("active",))
    pc_client.retry = RetryPolicy(total=0)
    fault(pc_sandbox, path="/subscriptions/", method="PATCH", status=503, times=1)
    action = world(tables, pc_client).service.suspend(customer, asker=Asker.AUTOMATIC, reason="fraud", actor="poll")
    held = world(tables, pc_client, mode=mode, paused=paused)
    report = reconciler(tables, pc_client, held).run(now=later())
    assert report.held == 1 and len(patches(pc_sandbox)) == 1
    assert held.actions.get(customer, action.action_id).attempts == 1  # a held retry is not an attempt
    assert pc_status(pc_sandbox, customer, subs[0]) == "active"


def test_a_refused_suspension_leaves_the_account_unmarked_and_the_next_scan_tries_again(app_env, pc_sandbox):
    customer, subs = seeded_customer(pc_sandbox, ("active",))
    context = get_context()
    context.ingestion().ingest(parse_canonical("standard", "inv-1", invoice_issued(
        customer, "INV-1", 500_000, issued_at="2026-11-01T00:00:00+08:00", due_at="2026-11-30T23:59:59+08:00")))
    context.partner_center.retry = RetryPolicy(total=0)
    context.delinquency_scan().run(as_of_date(notice_day("2026-12-31", context.policy), context.policy))
    fault(pc_sandbox, path="/subscriptions/", method="PATCH", status=503, times=1)
    first = context.delinquency_scan().run(as_of_date("2026-12-31", context.policy))
    assert first.suspended == 0 and pc_status(pc_sandbox, customer, subs[0]) == "active"
    assert context.accounts.get(customer).suspended_for_non_payment is False
    second = context.delinquency_scan().run(as_of_date("2027-01-01", context.policy))
    assert second.suspended == 1 and pc_status(pc_sandbox, customer, subs[0]) == "suspended"
    assert context.accounts.get(customer).suspended_for_non_payment is True


def test_reconcile_does_not_call_our_own_unanswered_patch_drift_while_its_action_settles(tables, pc_sandbox,
                                                                                        pc_sleeps):
    customer, subs, client, w, action = suspended_without_answer(tables, pc_sandbox, pc_sleeps)
    report = reconciler(tables, client, w).run()  # now: the action is too young to complete
    assert report.drift == [] and w.subscriptions.get(customer, subs[0]).drift is None
    assert w.service.complete(action).status == "confirmed"
    assert w.subscriptions.get(customer, subs[0]).suspended_by_us


def test_a_customer_busy_elsewhere_is_left_for_the_next_reconcile_run(tables, pc_sandbox, pc_client):
    customer, _subs = seeded_customer(pc_sandbox, ("active",))
    pc_client.retry = RetryPolicy(total=0)
    w = world(tables, pc_client)
    fault(pc_sandbox, path="/subscriptions/", method="PATCH", status=503, times=1)
    action = w.service.suspend(customer, asker=Asker.AUTOMATIC, reason="fraud", actor="poll")
    leases = Leases(tables.table("runs"))
    w.service.locks = CustomerLocks(leases, wait=timedelta(0))
    busy = leases.acquire(f"customer:{customer}", duration=timedelta(minutes=1), holder="a scan elsewhere")
    report = reconciler(tables, pc_client, w).run(now=later())
    assert len(report.errors) == 1 and "a scan elsewhere" in report.errors[0]
    assert w.actions.get(customer, action.action_id).status == "failed"  # still open, untouched
    leases.release(busy)
    assert reconciler(tables, pc_client, w).run(now=later()).completed == 1


def test_a_restore_before_reconcile_settles_an_unanswered_patch_undoes_it_if_it_landed(tables, pc_sandbox,
                                                                                      pc_sleeps):
    customer, subs, _client, w, _action = suspended_without_answer(tables, pc_sandbox, pc_sleeps)
    restored = w.service.restore(customer, reason="non_payment", actor="payment")
    assert restored.status == "confirmed" and pc_status(pc_sandbox, customer, subs[0]) == "active"
    assert w.subscriptions.get(customer, subs[0]).unanswered_request_id is None
