"""The Partner Center client against the real sandbox server: headers, retries and their budget, errors, paging,
status changes, service requests and fraud events. Nothing is mocked; sleeps are only recorded."""

import uuid
from typing import Any

import pytest
import requests

from lib.partner_center.client import PartnerCenterClient
from lib.partner_center.errors import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PartnerCenterError,
    RetriesExhaustedError,
)
from lib.partner_center.retry import RetryPolicy
from lib.partner_center.sandbox.server import SandboxHandle
from lib.partner_center.tokens import StaticTokenProvider
from tests.fixtures.sandbox import fault, sandbox_calls, seed

pytestmark = pytest.mark.integration

FRAUD_TOPIC = "32444671"


def a_customer(sandbox: SandboxHandle, subscriptions: int = 1, **extra: Any) -> str:
    customer = str(uuid.uuid4())
    seed(sandbox, [{"id": customer, "companyName": "上海云帆科技有限公司", **extra, "subscriptions": [
        {"id": f"sub-{n}", "offerName": "Azure plan", "status": "active"} for n in range(subscriptions)]}])
    return customer


def set_page_size(sandbox: SandboxHandle, size: int) -> None:
    requests.post(f"{sandbox.url}/_sandbox/config", json={"page_size": size}, timeout=10).raise_for_status()


class BlankTokens:
    def get_token(self) -> str:
        return "   "


# --- headers and request ids ---

def test_every_call_sends_the_bearer_token_and_partner_center_headers(pc_sandbox, pc_client):
    customer = a_customer(pc_sandbox)
    pc_client.get_customer(customer)
    list(pc_client.list_subscriptions(customer))
    pc_client.get_subscription(customer, "sub-0", correlation_id="run-42")
    calls = sandbox_calls(pc_sandbox)
    assert len(calls) == 3
    for call in calls:
        headers = call["headers"]
        assert headers["Authorization"] == "Bearer sandbox-token"
        assert headers["Accept"] == "application/json"
        assert headers["MS-Contract-Version"] == "v1"
        assert headers["X-Locale"] == "zh-CN"
        assert uuid.UUID(headers["MS-RequestId"])
        assert headers["MS-CorrelationId"]
    assert calls[2]["headers"]["MS-CorrelationId"] == "run-42"


def test_the_request_id_is_the_same_on_every_retry_of_a_call_and_new_for_the_next_call(pc_sandbox, pc_client):
    customer = a_customer(pc_sandbox)
    fault(pc_sandbox, path="sub-0$", method="GET", status=500, times=3)
    pc_client.get_subscription(customer, "sub-0", correlation_id="run-7")
    pc_client.get_subscription(customer, "sub-0", correlation_id="run-7")
    calls = sandbox_calls(pc_sandbox)
    first, second = calls[:4], calls[4:]
    assert len(first) == 4 and len(second) == 1
    assert len({c["headers"]["MS-RequestId"] for c in first}) == 1
    assert second[0]["headers"]["MS-RequestId"] != first[0]["headers"]["MS-RequestId"]
    assert {c["headers"]["MS-CorrelationId"] for c in calls} == {"run-7"}


# --- retries ---

def test_throttling_waits_exactly_the_retry_after_it_was_given(pc_sandbox, pc_client, pc_sleeps):
    customer = a_customer(pc_sandbox)
    fault(pc_sandbox, path="sub-0$", status=429, retry_after="7", times=1)
    assert pc_client.get_subscription(customer, "sub-0").id == "sub-0"
    assert pc_sleeps.sleeps == [7.0]
    assert len(sandbox_calls(pc_sandbox)) == 2


def test_three_server_errors_then_success_succeeds_on_the_fourth_call(pc_sandbox, pc_client, pc_sleeps):
    customer = a_customer(pc_sandbox)
    fault(pc_sandbox, path="sub-0$", status=500, times=3)
    assert pc_client.get_subscription(customer, "sub-0").status == "active"
    assert len(sandbox_calls(pc_sandbox)) == 4
    assert len(pc_sleeps.sleeps) == 3


def test_a_persistent_server_error_exhausts_the_retries_with_the_request_id_and_status(
        pc_sandbox, pc_client, pc_sleeps):
    customer = a_customer(pc_sandbox)
    fault(pc_sandbox, path="sub-0$", status=500, times=-1)  # a negative count never runs out
    with pytest.raises(RetriesExhaustedError, match="after 6 attempt") as caught:
        pc_client.get_subscription(customer, "sub-0")
    calls = sandbox_calls(pc_sandbox)
    assert len(calls) == 1 + pc_client.retry.total
    assert caught.value.status == 500
    assert caught.value.request_id == calls[0]["headers"]["MS-RequestId"]
    assert caught.value.correlation_id == calls[0]["headers"]["MS-CorrelationId"]
    assert len(pc_sleeps.sleeps) == pc_client.retry.total


def test_the_overall_time_budget_stops_retrying_before_a_wait_that_would_exceed_it(pc_sandbox, pc_sleeps):
    customer = a_customer(pc_sandbox)
    client = PartnerCenterClient(pc_sandbox.url, StaticTokenProvider("sandbox-token"), sleep=pc_sleeps,
                                 retry=RetryPolicy(timeout=1, backoff_factor=10))
    fault(pc_sandbox, path="sub-0$", status=503, times=-1)
    with pytest.raises(RetriesExhaustedError, match="after 1 attempt") as caught:
        client.get_subscription(customer, "sub-0")
    assert caught.value.status == 503
    assert len(sandbox_calls(pc_sandbox)) == 1
    assert pc_sleeps.sleeps == []


def test_a_retry_after_longer_than_the_budget_is_not_waited_for(pc_sandbox, pc_sleeps):
    customer = a_customer(pc_sandbox)
    client = PartnerCenterClient(pc_sandbox.url, StaticTokenProvider("sandbox-token"), sleep=pc_sleeps,
                                 retry=RetryPolicy(timeout=60))
    fault(pc_sandbox, path="sub-0$", status=429, retry_after="3600", times=1)
    with pytest.raises(RetriesExhaustedError) as caught:
        client.get_subscription(customer, "sub-0")
    assert caught.value.status == 429 and pc_sleeps.sleeps == []


# --- errors ---

def test_a_blank_bearer_token_is_refused_with_401_and_not_retried(pc_sandbox, pc_sleeps):
    customer = a_customer(pc_sandbox)
    client = PartnerCenterClient(pc_sandbox.url, BlankTokens(), sleep=pc_sleeps)
    with pytest.raises(AuthenticationError, match="401") as caught:
        client.get_customer(customer)
    assert caught.value.status == 401
    assert len(sandbox_calls(pc_sandbox)) == 1 and pc_sleeps.sleeps == []


def test_the_sandbox_refuses_a_call_without_authorization_with_401(pc_sandbox):
    customer = a_customer(pc_sandbox)
    response = requests.get(f"{pc_sandbox.url}/v1/customers/{customer}", timeout=10)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_an_unknown_customer_is_not_found_with_partner_centers_code(pc_sandbox, pc_client):
    with pytest.raises(NotFoundError, match="1000") as caught:
        pc_client.get_customer(str(uuid.uuid4()))
    assert caught.value.status == 404 and caught.value.code == "1000"
    assert caught.value.code_text == "1000"
    assert "not found" in (caught.value.description or "")


def test_listing_subscriptions_of_an_unknown_customer_is_not_found(pc_sandbox, pc_client):
    with pytest.raises(NotFoundError):
        list(pc_client.list_subscriptions(str(uuid.uuid4())))


def test_an_error_with_a_json_body_that_is_not_an_object_is_still_a_partner_center_error(pc_sandbox, pc_client):
    customer = a_customer(pc_sandbox)
    fault(pc_sandbox, path="sub-0$", status=404, body="gateway: no route", times=1)
    with pytest.raises(NotFoundError):
        pc_client.get_subscription(customer, "sub-0")


def test_an_error_without_a_partner_center_code_is_labelled_by_its_status(pc_sandbox, pc_client):
    customer = a_customer(pc_sandbox)
    fault(pc_sandbox, path="sub-0$", status=409, body={"unexpected": True}, times=1)
    with pytest.raises(PartnerCenterError, match="409") as caught:
        pc_client.get_subscription(customer, "sub-0")
    assert caught.value.status == 409 and caught.value.code is None
    assert caught.value.code_text == "http 409"


# --- paging ---

def test_seven_subscriptions_come_back_in_three_pages_that_follow_the_continuation_token(pc_sandbox, pc_client):
    customer = a_customer(pc_sandbox, subscriptions=7)
    set_page_size(pc_sandbox, 3)
    subscriptions = list(pc_client.list_subscriptions(customer))
    assert [s.id for s in subscriptions] == [f"sub-{n}" for n in range(7)]
    calls = sandbox_calls(pc_sandbox)
    assert [c["method"] for c in calls] == ["GET", "GET", "GET"]
    assert all(c["path"] == f"/v1/customers/{customer}/subscriptions" for c in calls)
    assert "MS-ContinuationToken" not in calls[0]["headers"]
    tokens = [c["headers"].get("MS-ContinuationToken") for c in calls[1:]]
    assert all(tokens) and tokens[0] != tokens[1]


def test_customers_are_listed_across_pages(pc_sandbox):
    ids = sorted(str(uuid.uuid4()) for _ in range(5))
    seed(pc_sandbox, [{"id": cid, "companyName": f"客户 {n}"} for n, cid in enumerate(ids)])
    client = PartnerCenterClient(pc_sandbox.url, StaticTokenProvider("sandbox-token"), page_size=2)
    assert sorted(c.id for c in client.list_customers()) == ids
    assert len(sandbox_calls(pc_sandbox)) == 3


# --- suspending and reactivating ---

def test_set_subscription_status_patches_the_full_resource_with_only_the_status_changed(pc_sandbox, pc_client):
    customer = a_customer(pc_sandbox)
    subscription = pc_client.get_subscription(customer, "sub-0")
    got = requests.get(f"{pc_sandbox.url}/v1/customers/{customer}/subscriptions/sub-0",
                       headers={"Authorization": "Bearer sandbox-token"}, timeout=10).json()
    result = pc_client.set_subscription_status(customer, subscription, "suspended", correlation_id="run-9")
    patch = sandbox_calls(pc_sandbox, method="PATCH")
    assert len(patch) == 1
    body = patch[0]["body"]
    assert body["status"] == "suspended"
    assert {k: v for k, v in body.items() if k != "status"} == {k: v for k, v in got.items() if k != "status"}
    assert result.value.status == "suspended"
    assert result.request_id == patch[0]["headers"]["MS-RequestId"] and result.correlation_id == "run-9"


def test_suspending_then_reactivating_works_and_changes_the_etag_each_time(pc_sandbox, pc_client):
    customer = a_customer(pc_sandbox)
    active = pc_client.get_subscription(customer, "sub-0")
    suspended = pc_client.set_subscription_status(customer, active, "suspended").value
    assert suspended.status == "suspended" and suspended.etag != active.etag
    assert pc_client.get_subscription(customer, "sub-0").status == "suspended"
    reactivated = pc_client.set_subscription_status(customer, suspended, "active").value
    assert reactivated.status == "active" and reactivated.etag not in (active.etag, suspended.etag)
    assert pc_client.get_subscription(customer, "sub-0") == reactivated


def test_the_sandbox_refuses_an_unknown_status_with_a_partner_center_shaped_error(pc_sandbox, pc_client):
    customer = a_customer(pc_sandbox)
    body = pc_client.get_subscription(customer, "sub-0").with_status("deleted")
    response = requests.patch(f"{pc_sandbox.url}/v1/customers/{customer}/subscriptions/sub-0", json=body,
                              headers={"Authorization": "Bearer sandbox-token"}, timeout=10)
    assert response.status_code == 400
    error = response.json()
    assert set(error) == {"code", "description", "data", "source"}
    assert error["code"] == "3000" and "deleted" in error["description"]
    assert error["data"] == [] and error["source"] == "PartnerFD"
    assert pc_client.get_subscription(customer, "sub-0").status == "active"


def test_the_client_raises_bad_request_for_an_unknown_status(pc_sandbox, pc_client, pc_sleeps):
    customer = a_customer(pc_sandbox)
    subscription = pc_client.get_subscription(customer, "sub-0")
    with pytest.raises(BadRequestError, match="3000") as caught:
        pc_client.set_subscription_status(customer, subscription, "deleted")
    assert caught.value.status == 400 and pc_sleeps.sleeps == []


# --- service requests ---

def test_a_service_request_round_trips_through_create_list_and_get(pc_sandbox, pc_client):
    created = pc_client.create_service_request(title="疑似挖矿", description="vm-miner-01 在挖矿",
                                               severity="Critical", support_topic_id=FRAUD_TOPIC).value
    assert created.status == "open" and created.support_topic_id == FRAUD_TOPIC
    assert created.raw["locale"] == "zh-CN"
    assert [sr.id for sr in pc_client.list_service_requests()] == [created.id]
    fetched = pc_client.get_service_request(created.id)
    assert fetched == created
    assert fetched.raw["supportTopicName"] == "Fraud or suspicious activity"
    post = sandbox_calls(pc_sandbox, method="POST")
    assert post[0]["path"] == "/v1/servicerequests/zh-CN"


def test_the_fraud_support_topic_is_listed(pc_sandbox, pc_client):
    topics = {t.id: t.name for t in pc_client.list_support_topics()}
    assert topics[FRAUD_TOPIC] == "Fraud or suspicious activity"


def test_a_service_request_with_a_bad_severity_is_a_bad_request(pc_sandbox, pc_client, pc_sleeps):
    with pytest.raises(BadRequestError, match="severity"):
        pc_client.create_service_request(title="t", description="d", severity="Urgent",
                                         support_topic_id=FRAUD_TOPIC)
    assert list(pc_client.list_service_requests()) == []
    assert pc_sleeps.sleeps == []


# --- fraud events ---

def test_fraud_events_are_filtered_by_event_status(pc_sandbox, pc_client):
    customer = a_customer(pc_sandbox, fraudEvents=[
        {"eventId": "e-active", "subscriptionId": "sub-0", "eventStatus": "Active"},
        {"eventId": "e-resolved", "subscriptionId": "sub-0", "eventStatus": "Resolved"},
    ])
    assert {e.event_id for e in pc_client.list_fraud_events()} == {"e-active", "e-resolved"}
    active = list(pc_client.list_fraud_events(status="Active"))
    assert [(e.event_id, e.event_status, e.customer_id) for e in active] == [("e-active", "Active", customer)]
    calls = sandbox_calls(pc_sandbox)
    assert calls[-1]["query"] == {"EventStatus": "Active"}


def test_fraud_events_are_filtered_by_subscription_as_documented(pc_sandbox, pc_client):
    a_customer(pc_sandbox, fraudEvents=[{"eventId": "e-mine", "subscriptionId": "az-mine"}])
    a_customer(pc_sandbox, fraudEvents=[{"eventId": "e-other", "subscriptionId": "az-other"}])
    assert [e.event_id for e in pc_client.list_fraud_events(subscription_id="az-mine")] == ["e-mine"]
    assert sandbox_calls(pc_sandbox)[-1]["query"] == {"SubscriptionId": "az-mine"}


def test_a_retried_service_request_post_creates_one_request(pc_sandbox, pc_client):
    # The client sends the same MS-RequestId again when it retries a POST whose answer timed out.
    import requests as http

    body = {"title": "[CASE-X] t", "description": "d", "severity": "Minimal", "supportTopicId": "32444671"}
    headers = {"Authorization": "Bearer t", "MS-RequestId": "same-request-id"}
    first = http.post(f"{pc_sandbox.url}/v1/servicerequests/zh-CN", json=body, headers=headers, timeout=10).json()
    again = http.post(f"{pc_sandbox.url}/v1/servicerequests/zh-CN", json=body, headers=headers, timeout=10).json()
    assert first["id"] == again["id"]
    assert len(list(pc_client.list_service_requests())) == 1
