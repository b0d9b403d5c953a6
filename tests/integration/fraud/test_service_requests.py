"""21Vianet service requests through the queue: exactly one per case, whatever is delivered twice or crashes."""

import json

import pytest

from lib.app_context import get_context
from lib.services.service_requests import request_title
from tests.fixtures.sandbox import fault, sandbox_calls
from tests.support.suspension_world import seeded_customer

pytestmark = pytest.mark.integration


def open_case(customer):
    return get_context().cases.open(customer, reason="fraud", title="Suspected crypto-mining",
                                    description="Partner Center reported a CryptoMining alert", severity="Critical",
                                    source="test")


def message(case):
    return json.dumps({"case_id": case.case_id, "customer_id": case.customer_id, "title": case.title,
                       "description": case.description, "severity": case.severity}).encode()


def posts(sandbox):
    return [c for c in sandbox_calls(sandbox, method="POST") if c["path"].startswith("/v1/servicerequests/")]


def test_a_message_delivered_twice_creates_one_service_request(app_env, pc_sandbox):
    customer, _ = seeded_customer(pc_sandbox)
    case = open_case(customer)
    service = get_context().service_requests_service()
    first = service.handle(message(case))
    second = service.handle(message(case))
    assert first.service_request_id and second.service_request_id == first.service_request_id
    assert first.status == "reported"
    created = posts(pc_sandbox)
    assert len(created) == 1
    assert created[0]["body"]["Title"] == request_title(case.case_id, f"{case.title}（测试客户有限公司）")
    assert created[0]["body"]["SupportTopicId"] == "32444671"  # found by name, as no topic is configured
    assert created[0]["path"] == "/v1/servicerequests/zh-CN"


def test_a_crash_after_the_post_is_recovered_from_partner_centers_own_list(app_env, pc_sandbox):
    customer, _ = seeded_customer(pc_sandbox)
    case = open_case(customer)
    context = get_context()
    crashing = context.service_requests_service()

    def crash(_request_id):
        raise RuntimeError("the worker died right after the POST")

    crashing._after_post = crash
    with pytest.raises(RuntimeError):
        crashing.handle(message(case))
    assert context.cases.get(customer, case.case_id).service_request_id is None
    crashing._after_post = None
    recovered = crashing.handle(message(case))
    assert recovered.service_request_id
    assert len(posts(pc_sandbox)) == 1


def test_a_bad_message_goes_to_poison_with_its_reason_and_sends_nothing(app_env, pc_sandbox):
    customer, _ = seeded_customer(pc_sandbox)
    case = open_case(customer)
    context = get_context()
    raised: list[tuple[str, str, dict[str, object]]] = []
    context.ops_alert = lambda kind, summary, details: raised.append((kind, summary, details))
    bad = json.dumps({"case_id": case.case_id, "customer_id": customer, "title": "x", "description": "y",
                      "severity": "Urgent"}).encode()
    assert context.service_requests_service().handle(bad) is None
    assert posts(pc_sandbox) == []
    assert [json.loads(b)["severity"] for b in context.service_requests.peek(poison=True)] == ["Urgent"]
    assert "severity" in context.cases.get(customer, case.case_id).service_request_error
    assert [kind for kind, _, _ in raised] == ["poison_message"] and "severity" in raised[0][1]


def test_a_partner_center_failure_raises_so_the_host_retries(app_env, pc_sandbox):
    customer, _ = seeded_customer(pc_sandbox)
    case = open_case(customer)
    fault(pc_sandbox, path="^/v1/servicerequests/zh-CN$", method="POST", status=400, times=1)
    from lib.partner_center.errors import BadRequestError

    with pytest.raises(BadRequestError):
        get_context().service_requests_service().handle(message(case))
    assert get_context().service_requests_service().handle(message(case)).service_request_id
