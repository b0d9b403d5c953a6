"""POST /api/scan?as_of= over HTTP: a real scan cannot look ahead unless ALLOW_FUTURE_AS_OF; a past day re-runs a
missed scan; a preview may look at any day."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.fixtures.azurite import start_devhost
from tests.fixtures.sandbox import sandbox_calls
from tests.support.billing_events import invoice_issued, standard_delivery
from tests.support.notice_period import notice_days
from tests.support.suspension_world import pc_status, seeded_customer

pytestmark = pytest.mark.e2e
SHANGHAI_OFFSET = timedelta(hours=8)


def local_day(days: int) -> str:
    return ((datetime.now(UTC) + SHANGHAI_OFFSET).date() + timedelta(days=days)).isoformat()


def call(host, method, path):
    return requests.request(method, f"{host.url}/api/{path}", timeout=60,
                            headers={"x-functions-key": host.function_key})


def owing(host, pc_sandbox, due_in_days):
    customer, subs = seeded_customer(pc_sandbox, ("active",))
    due = (datetime.now(UTC) + timedelta(days=due_in_days)).isoformat()
    body, headers = standard_delivery(invoice_issued(customer, "INV-1", 2_000_000, due_at=due))
    assert requests.post(f"{host.url}/api/webhooks/standard", data=body, headers=headers, timeout=30).ok
    return customer, subs


@pytest.fixture
def host(app_env):
    running = start_devhost(dict(app_env), "--no-timers", "--no-queues")
    yield running
    running.stop()


def test_a_real_scan_for_tomorrow_is_a_400_and_changes_nothing(host, pc_sandbox):
    customer, subs = owing(host, pc_sandbox, due_in_days=-20)
    response = call(host, "POST", f"scan?as_of={local_day(40)}")
    assert response.status_code == 400
    problem = response.json()
    assert problem["field"] == "as_of" and "ALLOW_FUTURE_AS_OF" in problem["detail"]
    assert call(host, "POST", f"scan?as_of={local_day(1)}").status_code == 400
    assert sandbox_calls(pc_sandbox, method="PATCH") == [] and pc_status(pc_sandbox, customer, subs[0]) == "active"


def test_today_and_a_past_day_run_a_real_scan(host, pc_sandbox):
    customer, subs = owing(host, pc_sandbox, due_in_days=-45)
    assert call(host, "POST", f"scan?as_of={local_day(-1 - notice_days())}").status_code == 200  # the notice
    missed = call(host, "POST", f"scan?as_of={local_day(-1)}")
    assert missed.status_code == 200 and missed.json()["suspended"] == 1
    assert pc_status(pc_sandbox, customer, subs[0]) == "suspended"
    assert call(host, "POST", f"scan?as_of={local_day(0)}").status_code == 200


def test_a_preview_may_look_at_any_day(host, pc_sandbox):
    customer, _ = owing(host, pc_sandbox, due_in_days=-1)
    preview = call(host, "GET", f"scan/preview?as_of={local_day(60)}")
    assert preview.status_code == 200
    assert [c["to_stage"] for c in preview.json()["changes"] if c["customer_id"] == customer] == ["suspension"]


def test_with_allow_future_as_of_a_replay_may_scan_ahead(app_env, pc_sandbox):
    running = start_devhost({**app_env, "ALLOW_FUTURE_AS_OF": "true"}, "--no-timers", "--no-queues")
    try:
        customer, subs = owing(running, pc_sandbox, due_in_days=1)
        assert call(running, "POST", f"scan?as_of={local_day(45 - notice_days())}").status_code == 200
        response = call(running, "POST", f"scan?as_of={local_day(45)}")
        assert response.status_code == 200, json.dumps(response.json())[:300]
        assert response.json()["suspended"] == 1 and pc_status(pc_sandbox, customer, subs[0]) == "suspended"
    finally:
        running.stop()
