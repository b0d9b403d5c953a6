"""Reconcile against the sandbox and Azurite: pending work finished, hand-made changes recorded and left alone."""

from datetime import UTC, datetime, timedelta

import pytest
import requests

from lib.services.reconcile import Reconciler
from lib.services.write_gate import Asker
from lib.store.runs import RunLog
from tests.fixtures.sandbox import fault, sandbox_calls
from tests.support.suspension_world import pc_status, seeded_customer, world

pytestmark = pytest.mark.integration


def later() -> datetime:
    """Past reconcile's settling time for what a test just did (taken when asked: the suite runs for minutes)."""
    return datetime.now(UTC) + timedelta(minutes=5)


def reconciler(tables, client, w):
    return Reconciler(client, w.service, w.actions, w.subscriptions, RunLog(tables.table("runs")))


def test_reconcile_finishes_a_failed_suspension_once_the_fault_clears(tables, pc_sandbox, pc_client):
    customer, subs = seeded_customer(pc_sandbox, ("active",))
    w = world(tables, pc_client)
    fault(pc_sandbox, path="/subscriptions/", method="PATCH", status=503, times=-1)
    assert w.service.suspend(customer, asker=Asker.AUTOMATIC, reason="fraud", actor="poll").status == "failed"
    first = reconciler(tables, pc_client, w).run(now=later())
    assert first.still_failing == 1
    requests.delete(f"{pc_sandbox.url}/_sandbox/faults", timeout=10)
    second = reconciler(tables, pc_client, w).run(now=later())
    assert second.completed == 1 and pc_status(pc_sandbox, customer, subs[0]) == "suspended"
    assert RunLog(tables.table("runs")).last("reconcile").status == "succeeded"


def test_reconcile_records_a_hand_made_reactivation_and_leaves_it(tables, pc_sandbox, pc_client):
    customer, subs = seeded_customer(pc_sandbox, ("active",))
    w = world(tables, pc_client)
    w.service.suspend(customer, asker=Asker.AUTOMATIC, reason="non_payment", actor="scan")
    pc_sandbox.state.subscriptions[customer][subs[0]]["status"] = "active"  # reactivated in the portal
    patches_before = len(sandbox_calls(pc_sandbox, method="PATCH"))
    report = reconciler(tables, pc_client, w).run(now=later())
    assert report.drift == [{"customer_id": customer, "subscription_id": subs[0],
                             "drift": "reactivated outside csp-guard"}]
    assert pc_status(pc_sandbox, customer, subs[0]) == "active"
    assert len(sandbox_calls(pc_sandbox, method="PATCH")) == patches_before
    state = w.subscriptions.get(customer, subs[0])
    assert state.drift == "reactivated outside csp-guard" and not state.suspended_by_us
    assert [a.kind for a in w.actions.for_customer(customer)][-1] == "drift"
