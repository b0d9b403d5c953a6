"""The Partner Center client against the sandbox: headers, paging, errors, retries and their budget."""

import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests

from lib.partner_center.client import PartnerCenterClient
from lib.partner_center.errors import AuthenticationError, BadRequestError, NotFoundError, RetriesExhaustedError
from lib.partner_center.retry import RETRY_STATUSES, RetryPolicy, retry_after_seconds
from lib.partner_center.tokens import StaticTokenProvider
from tests.fixtures.sandbox import fault, sandbox_calls, seed

pytestmark = pytest.mark.integration


def customer_with(sandbox, count):
    customer = str(uuid.uuid4())
    seed(sandbox, [{"id": customer, "companyName": "分页测试", "subscriptions": [
        {"id": f"sub-{n:02d}", "offerName": f"Offer {n}"} for n in range(count)]}])
    return customer


def test_every_call_carries_partner_centers_headers(pc_sandbox, pc_client):
    customer = customer_with(pc_sandbox, 1)
    pc_client.get_subscription(customer, "sub-00", correlation_id="run-42")
    call = sandbox_calls(pc_sandbox)[0]
    headers = call["headers"]
    assert headers["Authorization"] == "Bearer sandbox-token" and headers["Accept"] == "application/json"
    assert headers["MS-Contract-Version"] == "v1" and headers["X-Locale"] == "zh-CN"
    assert headers["MS-CorrelationId"] == "run-42" and uuid.UUID(headers["MS-RequestId"])


def test_paging_follows_the_continuation_token_over_three_pages(pc_sandbox, pc_client):
    customer = customer_with(pc_sandbox, 7)
    requests.post(f"{pc_sandbox.url}/_sandbox/config", json={"page_size": 3}, timeout=10)
    ids = [s.id for s in pc_client.list_subscriptions(customer)]
    assert ids == [f"sub-{n:02d}" for n in range(7)]
    calls = sandbox_calls(pc_sandbox)
    assert len(calls) == 3
    assert "MS-ContinuationToken" not in calls[0]["headers"]
    assert all(c["headers"]["MS-ContinuationToken"] for c in calls[1:])
    assert len({c["headers"]["MS-RequestId"] for c in calls}) == 3  # each page is its own call


def test_a_request_id_is_new_per_call_and_the_same_on_every_retry(pc_sandbox, pc_client, pc_sleeps):
    customer = customer_with(pc_sandbox, 1)
    fault(pc_sandbox, path="sub-00$", method="GET", status=500, times=3)
    pc_client.get_subscription(customer, "sub-00")
    pc_client.get_subscription(customer, "sub-00")
    ids = [c["headers"]["MS-RequestId"] for c in sandbox_calls(pc_sandbox)]
    assert len(ids) == 5 and len(set(ids[:4])) == 1 and ids[4] != ids[0]
    assert len(pc_sleeps.sleeps) == 3


def test_throttling_waits_for_the_retry_after_it_was_given(pc_sandbox, pc_client, pc_sleeps):
    customer = customer_with(pc_sandbox, 1)
    fault(pc_sandbox, path="sub-00$", status=429, times=1, retry_after=7)
    pc_client.get_subscription(customer, "sub-00")
    assert pc_sleeps.sleeps == [7.0]


def test_a_persistent_failure_gives_up_with_the_request_id(pc_sandbox, pc_client):
    customer = customer_with(pc_sandbox, 1)
    fault(pc_sandbox, path="sub-00$", status=503, times=-1)
    with pytest.raises(RetriesExhaustedError) as raised:
        pc_client.get_subscription(customer, "sub-00")
    assert raised.value.status == 503 and raised.value.request_id
    assert len(sandbox_calls(pc_sandbox)) == 6  # the first attempt and five retries


def test_the_overall_time_budget_stops_retrying(pc_sandbox, pc_sleeps):
    client = PartnerCenterClient(pc_sandbox.url, StaticTokenProvider("t"), sleep=pc_sleeps,
                                 retry=RetryPolicy(total=10, backoff_factor=10, timeout=1))
    customer = customer_with(pc_sandbox, 1)
    fault(pc_sandbox, path="sub-00$", status=503, times=-1)
    with pytest.raises(RetriesExhaustedError):
        client.get_subscription(customer, "sub-00")
    assert len(sandbox_calls(pc_sandbox)) == 1 and pc_sleeps.sleeps == []


def test_errors_carry_partner_centers_code(pc_sandbox, pc_client):
    with pytest.raises(NotFoundError) as raised:
        pc_client.get_customer(str(uuid.uuid4()))
    assert raised.value.code == "1000" and raised.value.status == 404
    customer = customer_with(pc_sandbox, 1)
    with pytest.raises(BadRequestError):
        pc_client.create_service_request(title="t", description="d", severity="Urgent", support_topic_id="32444671")
    assert pc_client.get_customer(customer).company_name == "分页测试"


def test_a_missing_token_is_refused_and_never_retried(pc_sandbox, pc_sleeps):
    class NoToken:
        def get_token(self) -> str:
            return " "

    client = PartnerCenterClient(pc_sandbox.url, NoToken(), sleep=pc_sleeps)
    with pytest.raises(AuthenticationError):
        client.get_customer(str(uuid.uuid4()))
    assert pc_sleeps.sleeps == []
    raw = requests.get(f"{pc_sandbox.url}/v1/customers", timeout=10)
    assert raw.status_code == 401 and set(raw.json()) == {"code", "description", "data", "source"}


def test_the_sandbox_refuses_an_invalid_status_change_in_partner_centers_shape(pc_sandbox, pc_client):
    customer = customer_with(pc_sandbox, 1)
    sub = pc_client.get_subscription(customer, "sub-00")
    response = requests.patch(f"{pc_sandbox.url}/v1/customers/{customer}/subscriptions/sub-00", timeout=10,
                              headers={"Authorization": "Bearer t"}, json={**sub.raw, "status": "deleted"})
    assert response.status_code == 400 and response.json()["source"] == "PartnerFD"
    suspended = pc_client.set_subscription_status(customer, sub, "suspended")
    assert suspended.value.status == "suspended" and suspended.value.etag != sub.etag


def test_service_requests_round_trip(pc_sandbox, pc_client):
    created = pc_client.create_service_request(title="[CASE-1] t", description="d", severity="Critical",
                                               support_topic_id="32444671")
    assert created.value.status == "open" and created.request_id
    assert [sr.id for sr in pc_client.list_service_requests()] == [created.value.id]
    assert pc_client.get_service_request(created.value.id).title == "[CASE-1] t"
    assert {t.id for t in pc_client.list_support_topics()} >= {"32444671"}


def test_fraud_events_are_listed_and_filtered(pc_sandbox, pc_client):
    customer = str(uuid.uuid4())
    seed(pc_sandbox, [{"id": customer, "companyName": "矿工", "subscriptions": [{"id": "az-1"}],
                       "fraudEvents": [{"subscriptionId": "az-1", "eventType": "CryptoMining"},
                                       {"subscriptionId": "az-1", "eventType": "CryptoMining",
                                        "eventStatus": "Resolved"}]}])
    active = list(pc_client.list_fraud_events(status="Active"))
    assert [(e.customer_id, e.subscription_id, e.event_type) for e in active] == [(customer, "az-1", "CryptoMining")]
    assert len(list(pc_client.list_fraud_events())) == 2


def test_retry_after_is_read_as_seconds_or_as_an_http_date():
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert retry_after_seconds(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
    assert frozenset({408, 429, 500, 502, 503, 504}) == RETRY_STATUSES


def test_backoff_grows_and_is_capped():
    policy = RetryPolicy(backoff_factor=0.5, backoff_max=4)
    assert all(0.25 <= policy.backoff(1) <= 0.5 for _ in range(20))
    assert all(2.0 <= policy.backoff(10) <= 4.0 for _ in range(20))
