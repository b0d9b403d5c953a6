"""An operator's service request, queued over HTTP and created by the queue function on the development host."""

import json
import time

import pytest
import requests

from tests.fixtures.azurite import start_devhost
from tests.fixtures.sandbox import sandbox_calls
from tests.support.suspension_world import seeded_customer

pytestmark = pytest.mark.e2e


def test_a_queued_service_request_is_created_once_by_the_queue_function(app_env, pc_sandbox):
    host = start_devhost(dict(app_env), "--no-timers")
    try:
        customer, subs = seeded_customer(pc_sandbox)
        headers = {"x-functions-key": host.function_key}
        response = requests.post(f"{host.url}/api/customers/{customer}/service-requests", headers=headers,
                                 timeout=30, data=json.dumps({"title": "Resale of licences to third parties",
                                                              "description": "Seen on our reseller audit",
                                                              "severity": "moderate"}))  # as documented
        assert response.status_code == 202
        case_id = response.json()["case_id"]
        case = {}
        for _ in range(60):
            case = requests.get(f"{host.url}/api/cases/{customer}/{case_id}", headers=headers, timeout=10).json()
            if case.get("service_request_id"):
                break
            time.sleep(0.5)
        assert case["status"] == "reported" and case["reason"] == "misuse"
        created = [c for c in sandbox_calls(pc_sandbox, method="POST") if c["path"].startswith("/v1/servicerequests")]
        assert len(created) == 1 and created[0]["body"]["Title"].startswith(f"[{case_id}]")
        for fact in (customer, "测试客户有限公司", "Seen on our reseller audit", case_id, *subs):
            assert fact in created[0]["body"]["Description"]
        assert created[0]["body"]["Severity"] == "moderate"
        listed = requests.get(f"{host.url}/api/cases?status=reported", headers=headers, timeout=10).json()["items"]
        assert case_id in {c["case_id"] for c in listed}
        bad = requests.post(f"{host.url}/api/customers/{customer}/service-requests", headers=headers, timeout=10,
                            data=json.dumps({"title": "x", "description": "y", "severity": "Urgent"}))
        assert bad.status_code == 400 and bad.json()["field"] == "severity"
    finally:
        host.stop()


def test_resolving_a_case_as_cleared_lifts_its_suspension_but_not_other_reasons(app_env, pc_sandbox):
    host = start_devhost(dict(app_env), "--no-timers", "--no-queues")
    try:
        customer, subs = seeded_customer(pc_sandbox, ("active",))
        headers = {"x-functions-key": host.function_key}
        opened = requests.post(f"{host.url}/api/customers/{customer}/service-requests", headers=headers, timeout=30,
                               data=json.dumps({"title": "t", "description": "d", "reason": "fraud"})).json()
        for reason in ("fraud", "manual"):
            requests.post(f"{host.url}/api/customers/{customer}/suspend", headers=headers, timeout=30,
                          data=json.dumps({"reason": reason}))
        resolved = requests.post(f"{host.url}/api/cases/{customer}/{opened['case_id']}/resolve", headers=headers,
                                 timeout=30, data=json.dumps({"outcome": "cleared", "note": "false positive"}))
        assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
        assert pc_sandbox.state.subscriptions[customer][subs[0]]["status"] == "suspended"  # manual still holds
        again = requests.post(f"{host.url}/api/cases/{customer}/{opened['case_id']}/resolve", headers=headers,
                              timeout=30, data=json.dumps({"outcome": "cleared"}))
        assert again.status_code == 409
    finally:
        host.stop()
