"""The sandbox itself: its admin API (call log, faults, seeding, reset, config), throttling, token check, error
shapes, and its entry points. These are the behaviours every other test of csp-guard leans on."""

import ast
import json
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from lib.partner_center.sandbox.server import start_background
from tests.fixtures.sandbox import SANDBOX_TOKEN, configure, fault, sandbox_calls, seed
from tests.integration.partner_center.sandbox_world import a_customer

pytestmark = pytest.mark.integration
AUTH = {"Authorization": f"Bearer {SANDBOX_TOKEN}"}
SANDBOX_DIR = Path(__file__).parents[3] / "lib" / "partner_center" / "sandbox"


def get(sandbox, path, **kwargs):
    return requests.get(f"{sandbox.url}{path}", headers=kwargs.pop("headers", AUTH), timeout=10, **kwargs)


def test_the_call_log_records_method_path_query_headers_and_json_body_but_no_admin_calls(pc_sandbox):
    customer = a_customer(pc_sandbox)
    get(pc_sandbox, "/v1/customers?size=5")
    requests.patch(f"{pc_sandbox.url}/v1/customers/{customer}/subscriptions/sub-0", json={"status": "suspended"},
                   headers={**AUTH, "MS-RequestId": "r-1"}, timeout=10)
    calls = sandbox_calls(pc_sandbox)
    assert [(c["method"], c["path"]) for c in calls] == [
        ("GET", "/v1/customers"), ("PATCH", f"/v1/customers/{customer}/subscriptions/sub-0")]
    assert calls[0]["query"] == {"size": "5"} and calls[0]["body"] is None
    assert calls[1]["body"] == {"status": "suspended"} and calls[1]["headers"]["MS-RequestId"] == "r-1"
    requests.delete(f"{pc_sandbox.url}/_sandbox/calls", timeout=10).raise_for_status()
    assert sandbox_calls(pc_sandbox) == []


def test_answers_echo_the_request_and_correlation_ids(pc_sandbox):
    response = get(pc_sandbox, "/v1/customers", headers={**AUTH, "MS-RequestId": "r-9", "MS-CorrelationId": "c-9"})
    assert (response.headers["MS-RequestId"], response.headers["MS-CorrelationId"]) == ("r-9", "c-9")


@pytest.mark.parametrize("authorization", [None, "Bearer ", "Basic dXNlcjpwYXNz"])
def test_a_call_without_a_bearer_token_is_401_in_partner_centers_shape(pc_sandbox, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = get(pc_sandbox, "/v1/customers", headers=headers)
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"
    assert set(response.json()) == {"code", "description", "data", "source"}


def test_an_unknown_path_is_404_in_partner_centers_shape(pc_sandbox):
    response = get(pc_sandbox, "/v1/nothing/here")
    assert response.status_code == 404
    assert response.json()["code"] == 1000 and response.json()["source"] == "PartnerFD"


def test_a_fault_applies_to_matching_method_and_path_for_its_count_then_stops(pc_sandbox):
    customer = a_customer(pc_sandbox)
    fault(pc_sandbox, path="/subscriptions$", method="GET", status=503, retry_after="4", times=2,
          body={"code": 503, "description": "down", "data": [], "source": "PartnerFD"})
    path = f"/v1/customers/{customer}/subscriptions"
    assert get(pc_sandbox, f"/v1/customers/{customer}").status_code == 200  # path does not match
    answers = [get(pc_sandbox, path) for _ in range(3)]
    assert [a.status_code for a in answers] == [503, 503, 200]
    assert answers[0].headers["Retry-After"] == "4" and answers[0].json()["description"] == "down"


def test_a_fault_with_only_a_delay_adds_latency_and_then_answers_normally(pc_sandbox):
    customer = a_customer(pc_sandbox)
    fault(pc_sandbox, path="^/v1/customers/", delay_ms=300, times=1)
    started = time.monotonic()
    response = get(pc_sandbox, f"/v1/customers/{customer}")
    assert response.status_code == 200 and time.monotonic() - started >= 0.3
    started = time.monotonic()
    get(pc_sandbox, f"/v1/customers/{customer}")
    assert time.monotonic() - started < 0.3


def test_faults_can_be_removed(pc_sandbox):
    fault(pc_sandbox, path=".", status=500, times=-1)
    requests.delete(f"{pc_sandbox.url}/_sandbox/faults", timeout=10).raise_for_status()
    assert get(pc_sandbox, "/v1/customers").status_code == 200


@pytest.mark.parametrize("spec", [{"path": "([", "status": 500}, {"status": 500}, {"path": "x"},
                                  {"path": "x", "status": "often"}, {"path": "x", "status": 42}])
def test_a_malformed_fault_is_refused_with_400(pc_sandbox, spec):
    response = requests.post(f"{pc_sandbox.url}/_sandbox/faults", json=spec, timeout=10)
    assert response.status_code == 400 and response.json()["description"]


@pytest.mark.parametrize("payload", [{}, {"customers": {}}, {"customers": [{"companyName": "无编号"}]},
                                     {"customers": [{"id": "c", "subscriptions": "sub-1"}]}, "not json"])
def test_a_malformed_seed_is_refused_with_400_and_adds_nothing(pc_sandbox, payload):
    response = requests.post(f"{pc_sandbox.url}/_sandbox/customers", data=json.dumps(payload), timeout=10)
    assert response.status_code == 400
    assert get(pc_sandbox, "/v1/customers").json()["items"] == []


def test_seeding_adds_to_what_is_there_in_the_documented_format(pc_sandbox):
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    seed(pc_sandbox, [{"id": first, "companyName": "北京星河数据有限公司"}])
    seed(pc_sandbox, [{"id": second, "companyName": "广州珠江物流有限公司",
                       "subscriptions": [{"id": "m365", "offerId": "CFQ7TTC0LFLZ:0001", "offerName": "Microsoft 365 E3",
                                          "quantity": 25, "status": "suspended"}],
                       "fraudEvents": [{"subscriptionId": "m365", "eventType": "CryptoMining",
                                        "eventTime": "2026-11-20T03:14:00Z"}]}])
    customers = get(pc_sandbox, "/v1/customers").json()
    assert {c["id"] for c in customers["items"]} == {first, second}
    assert customers["attributes"] == {"objectType": "Collection"}
    sub = get(pc_sandbox, f"/v1/customers/{second}/subscriptions/m365").json()
    assert (sub["offerName"], sub["quantity"], sub["status"]) == ("Microsoft 365 E3", 25, "suspended")
    assert sub["attributes"]["objectType"] == "Subscription" and sub["attributes"]["etag"]
    assert set(sub["links"]) >= {"offer", "entitlement", "self"}
    [old] = get(pc_sandbox, "/v1/fraudEvents").json()
    assert "eventType" not in old  # the old events model's documented fields carry no type
    [event] = get(pc_sandbox, "/v1/fraudEvents", headers={**AUTH, "X-NewEventsModel": "true"}).json()
    assert (event["customerTenantId"], event["eventType"], event["eventStatus"]) == (second, "CryptoMining", "Active")


def test_reset_empties_everything_and_can_reload_the_demo_data(pc_sandbox):
    a_customer(pc_sandbox)
    fault(pc_sandbox, path=".", status=500, times=-1)
    requests.post(f"{pc_sandbox.url}/_sandbox/reset", json={"demo": True}, timeout=10).raise_for_status()
    customers = get(pc_sandbox, "/v1/customers").json()["items"]
    assert len(customers) == 12 and all(c["companyProfile"]["companyName"].endswith("有限公司") for c in customers)
    assert len(get(pc_sandbox, "/v1/fraudEvents").json()) == 1
    requests.post(f"{pc_sandbox.url}/_sandbox/reset", timeout=10).raise_for_status()
    assert get(pc_sandbox, "/v1/customers").json()["items"] == []
    assert len(sandbox_calls(pc_sandbox)) == 1  # the reset forgot the calls before it


def test_the_rate_limit_answers_429_with_retry_after_like_partner_center(pc_sandbox):
    configure(pc_sandbox, rate_limit=2)
    answers = [get(pc_sandbox, "/v1/customers") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].headers["Retry-After"] == "1" and answers[2].json()["code"] == 429


def test_pages_are_sized_by_the_size_parameter_or_the_sandboxs_page_size(pc_sandbox):
    seed(pc_sandbox, [{"id": str(uuid.uuid4()), "companyName": f"客户 {n}"} for n in range(5)])
    assert len(get(pc_sandbox, "/v1/customers?size=4").json()["items"]) == 4
    configure(pc_sandbox, page_size=2)
    page = get(pc_sandbox, "/v1/customers").json()
    assert len(page["items"]) == 2 and page["totalCount"] == 2
    assert page["links"]["next"]["headers"][0]["key"] == "MS-ContinuationToken"
    bad = get(pc_sandbox, "/v1/customers", headers={**AUTH, "MS-ContinuationToken": "%%%"})
    assert bad.status_code == 400


def test_a_service_requests_status_is_changed_only_to_a_known_status(pc_sandbox):
    body = {"title": "t", "description": "d", "severity": "Minimal", "supportTopicId": "32444671"}
    sr = requests.post(f"{pc_sandbox.url}/v1/servicerequests/zh-CN", json=body, headers=AUTH, timeout=10).json()
    admin = f"{pc_sandbox.url}/_sandbox/servicerequests"
    assert requests.post(f"{admin}/{sr['id']}/status", json={"status": "solved"}, timeout=10).status_code == 400
    assert requests.post(f"{admin}/nope/status", json={"status": "closed"}, timeout=10).status_code == 404
    closed = requests.post(f"{admin}/{sr['id']}/status", json={"status": "closed"}, timeout=10).json()
    assert closed["status"] == "closed" and closed["lastClosedDate"]


def test_a_repeated_service_request_post_with_the_same_request_id_creates_one_request(pc_sandbox):
    body = {"title": "[CASE-X] t", "description": "d", "severity": "Minimal", "supportTopicId": "32444671"}
    headers = {**AUTH, "MS-RequestId": "same-request-id"}
    url = f"{pc_sandbox.url}/v1/servicerequests/zh-CN"
    first = requests.post(url, json=body, headers=headers, timeout=10)
    again = requests.post(url, json=body, headers=headers, timeout=10)
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert len(get(pc_sandbox, "/v1/servicerequests").json()["items"]) == 1


def test_the_sandbox_does_not_import_the_client_it_is_used_to_test():
    client_modules = {"lib.partner_center.client", "lib.partner_center.retry", "lib.partner_center.tokens",
                      "lib.partner_center.models", "lib.partner_center.factory"}
    for source in SANDBOX_DIR.glob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | \
                   {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not imported & client_modules, source.name


def test_start_background_serves_on_a_free_port_until_stopped():
    handle = start_background(demo=True, rate_limit=100)
    try:
        response = requests.get(f"{handle.url}/v1/customers?size=3", headers=AUTH, timeout=10)
        assert response.status_code == 200 and len(response.json()["items"]) == 3
        assert handle.state.rate_limit == 100
    finally:
        handle.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{handle.url}/v1/customers", headers=AUTH, timeout=2)


def test_serve_prints_its_url_serves_the_seed_file_and_stops_on_sigterm(tmp_path):
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps({"customers": [{"id": "c-file", "companyName": "文件客户"}]}), encoding="utf-8")
    code = f"from lib.partner_center.sandbox.server import serve; serve('127.0.0.1', 0, {str(seed_file)!r}, True)"
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                               cwd=Path(__file__).parents[3])
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Partner Center sandbox on http://127.0.0.1:") and "(1 customers)" in line
        url = line.split()[4]
        customers = requests.get(f"{url}/v1/customers", headers=AUTH, timeout=10).json()["items"]
        assert [c["id"] for c in customers] == ["c-file"]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
