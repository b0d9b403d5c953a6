"""Shadow mode on the development host (issue 12.2): a debtor, a fraud event, Partner Center's fraud webhook, a scan,
fraud polls, reconcile runs and an operator's requests all run, decide and record, and Partner Center receives no
write at all."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from lib.services.write_gate import Asker
from lib.store.runs import RunLog
from tests.fixtures.azurite import start_devhost
from tests.fixtures.sandbox import fault, sandbox_calls, seed
from tests.support.billing_events import invoice_issued, standard_delivery
from tests.support.notice_period import local_day, notice_days
from tests.support.suspension_world import pc_status, seeded_customer, world

pytestmark = pytest.mark.e2e
MINER = "4c5d6e7f-8a9b-4c0d-9e1f-2a3b4c5d6e7f"


def a_failed_suspension_left_for_reconcile(tables, pc_sandbox, pc_client):
    """Made while enforcing, before the switch to shadow: reconcile must not re-send it now."""
    customer, _ = seeded_customer(pc_sandbox, ("active",))
    fault(pc_sandbox, path=f"/customers/{customer}/subscriptions/", method="PATCH", status=503, times=-1)
    pc_client.retry = type(pc_client.retry)(total=0)
    action = world(tables, pc_client).service.suspend(customer, reason="fraud", actor="poll", asker=Asker.AUTOMATIC)
    assert action.status == "failed"
    # older than reconcile's settling time, as a failure from before the switch would be
    tables.table("actions").upsert(customer, action.action_id, {"updated_at": datetime.now(UTC) - timedelta(hours=1)})
    requests.delete(f"{pc_sandbox.url}/_sandbox/faults", timeout=10)
    requests.delete(f"{pc_sandbox.url}/_sandbox/calls", timeout=10)


def wait_for_runs(runs, job, count, seconds=40):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if len([r for r in runs.recent(job) if r.finished_at]) >= count:
            return
        time.sleep(0.5)
    raise AssertionError(f"{job} did not run {count} times")


def test_in_shadow_mode_the_whole_loop_runs_and_partner_center_receives_no_write(app_env, tables, pc_sandbox,
                                                                                 pc_client):
    a_failed_suspension_left_for_reconcile(tables, pc_sandbox, pc_client)
    debtor, debtor_subs = seeded_customer(pc_sandbox, ("active", "active"))
    seed(pc_sandbox, [{"id": MINER, "companyName": "影子模式挖矿公司", "usage": {"totalCost": "80000.00", "budget": 0},
                       "subscriptions": [{"id": "az-7", "creationDate": "2026-11-25T00:00:00Z"}],
                       "fraudEvents": [{"eventId": "fe-7", "subscriptionId": "az-7", "eventType": "CryptoMining"}]}])
    env = {**app_env, "ENFORCEMENT_MODE": "shadow", "FRAUD_POLL_SCHEDULE": "*/2 * * * * *",
           "RECONCILE_SCHEDULE": "*/3 * * * * *"}
    host = start_devhost(env)  # timers and the queue function on, as in Azure
    try:
        headers = {"x-functions-key": host.function_key}
        raw, signed = standard_delivery(invoice_issued(debtor, "INV-2026-09-0007", 1_250_000,
                                                       issued_at="2026-09-01T00:00:00+08:00",
                                                       due_at="2026-10-01T23:59:59+08:00"))
        assert requests.post(f"{host.url}/api/webhooks/standard", data=raw, headers=signed, timeout=30).ok
        delivered = requests.post(f"{pc_sandbox.url}/_sandbox/webhooks/deliver", timeout=60, json={
            "url": f"{host.url}/api/webhooks/partner-center", "eventName": "azure-fraud-event-detected",
            "resourceUri": f"{pc_sandbox.url}/v1/fraudEvents?SubscriptionId=az-7"}).json()
        assert delivered["status"] == 200 and delivered["body"]["cases_opened"] == 1
        assert delivered["body"]["shadow"] == 1 and delivered["body"]["service_requests_queued"] == 0
        notice_scan = f"{host.url}/api/scan?as_of={local_day(-notice_days())}"
        assert requests.post(notice_scan, headers=headers, timeout=120).ok  # the notice before suspension
        scan = requests.post(f"{host.url}/api/scan", headers=headers, timeout=120).json()
        assert scan["shadow_suspensions"] >= 1
        by_hand = requests.post(f"{host.url}/api/customers/{debtor}/suspend", headers=headers, timeout=30,
                                data=json.dumps({"reason": "manual", "note": "shadow: recorded only"}))
        assert by_hand.status_code == 202 and by_hand.json()["status"] == "shadow"
        asked = requests.post(f"{host.url}/api/customers/{debtor}/service-requests", headers=headers, timeout=30,
                              data=json.dumps({"title": "Resale", "description": "audit"}))
        assert asked.status_code == 202 and asked.json()["queued"] is False
        runs = RunLog(tables.table("runs"))
        wait_for_runs(runs, "fraud_events_poll", 2)
        wait_for_runs(runs, "reconcile", 2)
        assert runs.last("reconcile").counts["held"] == 1  # the leftover failure waits for a mode that may write
        time.sleep(3)  # the queue function polls every 2 s: give anything queued the chance to be sent
    finally:
        host.stop()
    writes = [(c["method"], c["path"]) for c in sandbox_calls(pc_sandbox) if c["method"] not in ("GET", "HEAD")]
    assert writes == []
    assert pc_status(pc_sandbox, debtor, debtor_subs[0]) == "active"
    assert pc_status(pc_sandbox, MINER, "az-7") == "active"
    assert any(c["method"] == "GET" and c["path"] == "/v1/fraudEvents" for c in sandbox_calls(pc_sandbox))
