"""The fraud poll's call budget against the sandbox and Azurite: calls per run, everyone covered over a few runs,
and a 429 that stops a run which the next one resumes."""

import pytest
import requests

from lib.app_context import get_context, reset_context
from tests.fixtures.sandbox import sandbox_calls, seed

pytestmark = pytest.mark.integration


def seed_customers(sandbox, count):
    ids = [f"00000000-0000-4000-8000-{i:012d}" for i in range(count)]
    seed(sandbox, [{"id": cid, "companyName": f"客户 {i}", "subscriptions": [{"id": f"az-{i}"}],
                    "usage": {"totalCost": "10.00", "budget": 5000}} for i, cid in enumerate(ids)])
    return ids


def usage_reads(sandbox):
    calls = sandbox_calls(sandbox, method="GET")
    return [c["path"].split("/")[3] for c in calls if c["path"].endswith("/usagesummary")]


def poll(sandbox):
    requests.delete(f"{sandbox.url}/_sandbox/calls", timeout=10)
    report = get_context().fraud_poll().run()
    return report, len(sandbox_calls(sandbox)), usage_reads(sandbox)


def test_each_run_stays_within_its_call_budget_and_a_few_runs_cover_everyone(app_env, pc_sandbox, monkeypatch):
    monkeypatch.setenv("FRAUD_POLL_CALL_BUDGET", "6")
    reset_context()
    ids = seed_customers(pc_sandbox, 10)
    seen: list[str] = []
    for _ in range(3):
        report, calls, reads = poll(pc_sandbox)
        assert calls <= 6 and report.budget["calls"] == calls and report.budget["usage_reads"] == len(reads)
        seen += reads
    assert sorted(seen[:10]) == ids  # each customer once before anyone twice: new customers first
    assert get_context().runs.last("fraud_events_poll").counts["budget"]["call_budget"] == 6


def test_a_429_stops_the_run_and_the_next_run_resumes_with_whom_it_missed(app_env, pc_sandbox):
    ids = seed_customers(pc_sandbox, 4)
    context = get_context()
    context.partner_center.retry = type(context.partner_center.retry)(total=0)
    requests.post(f"{pc_sandbox.url}/_sandbox/faults", timeout=10,
                  json={"path": f"/{ids[2]}/usagesummary$", "status": 429, "times": 1, "retry_after": 0})
    report, _, reads = poll(pc_sandbox)
    assert report.stopped == "throttled by Partner Center (429)"
    assert reads == ids[:3]  # the third answered 429: nothing after it was called
    assert context.runs.last("fraud_events_poll").status == "failed"
    _, _, resumed = poll(pc_sandbox)
    assert resumed[:2] == [ids[2], ids[3]]  # never read: first in the next run


def test_the_customer_list_is_read_at_most_hourly_and_runs_between_plan_from_the_stored_customers(app_env, pc_sandbox):
    ids = seed_customers(pc_sandbox, 3)
    poll(pc_sandbox)
    requests.delete(f"{pc_sandbox.url}/_sandbox/calls", timeout=10)
    report = get_context().fraud_poll().run()
    paths = [c["path"] for c in sandbox_calls(pc_sandbox, method="GET")]
    assert not [p for p in paths if p.split("?")[0] == "/v1/customers"]
    assert report.customers_reviewed == 0 or set(usage_reads(pc_sandbox)) <= set(ids)
