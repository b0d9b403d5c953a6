"""The client's typed calls against the real sandbox server: errors with Partner Center's codes, paging, suspending
and reactivating, service requests and fraud events."""

import uuid
from datetime import UTC, datetime

import pytest
import requests

from lib.partner_center.client import PartnerCenterClient
from lib.partner_center.errors import BadRequestError, NotFoundError, PartnerCenterError
from lib.partner_center.tokens import StaticTokenProvider
from tests.fixtures.sandbox import SANDBOX_TOKEN, configure, fault, sandbox_calls, seed
from tests.integration.partner_center.sandbox_world import FRAUD_TOPIC, a_customer

pytestmark = pytest.mark.integration
AUTH = {"Authorization": f"Bearer {SANDBOX_TOKEN}"}


# --- errors ---

def test_an_unknown_customer_is_not_found_with_partner_centers_code_and_the_call_ids(pc_sandbox, pc_client):
    with pytest.raises(NotFoundError, match="1000") as caught:
        pc_client.get_customer(str(uuid.uuid4()), correlation_id="run-404")
    assert caught.value.status == 404 and caught.value.code == "1000" and caught.value.code_text == "1000"
    assert "not found" in (caught.value.description or "")
    assert caught.value.correlation_id == "run-404"
    assert caught.value.request_id == sandbox_calls(pc_sandbox)[0]["headers"]["MS-RequestId"]


def test_listing_subscriptions_of_an_unknown_customer_is_not_found(pc_sandbox, pc_client):
    with pytest.raises(NotFoundError):
        list(pc_client.list_subscriptions(str(uuid.uuid4())))


def test_an_error_body_that_is_not_an_object_is_still_the_named_error(pc_sandbox, pc_client):
    customer = a_customer(pc_sandbox)
    fault(pc_sandbox, path="sub-0$", status=404, body="gateway: no route", times=1)
    with pytest.raises(NotFoundError) as caught:
        pc_client.get_subscription(customer, "sub-0")
    assert caught.value.code is None and caught.value.code_text == "http 404"


def test_a_conflict_without_a_partner_center_code_is_labelled_by_its_status(pc_sandbox, pc_client):
    customer = a_customer(pc_sandbox)
    fault(pc_sandbox, path="sub-0$", status=409, body={"unexpected": True}, times=1)
    with pytest.raises(PartnerCenterError, match="409") as caught:
        pc_client.get_subscription(customer, "sub-0")
    assert type(caught.value).__name__ == "ConflictError"
    assert caught.value.status == 409 and caught.value.code is None and caught.value.code_text == "http 409"


def test_a_success_whose_body_is_not_a_resource_is_a_partner_center_error(pc_sandbox, pc_client):
    customer = a_customer(pc_sandbox)
    fault(pc_sandbox, path="sub-0$", status=200, body="<html>maintenance</html>", times=1)
    with pytest.raises(PartnerCenterError, match="not a JSON object"):
        pc_client.get_subscription(customer, "sub-0")


# --- paging ---

def test_seven_subscriptions_come_back_in_three_pages_that_follow_the_continuation_token(pc_sandbox, pc_client):
    customer = a_customer(pc_sandbox, subscriptions=7)
    configure(pc_sandbox, page_size=3)
    subscriptions = list(pc_client.list_subscriptions(customer, correlation_id="run-pages"))
    assert [s.id for s in subscriptions] == [f"sub-{n}" for n in range(7)]
    calls = sandbox_calls(pc_sandbox)
    assert [c["method"] for c in calls] == ["GET", "GET", "GET"]
    assert all(c["path"] == f"/v1/customers/{customer}/subscriptions" for c in calls)
    assert "MS-ContinuationToken" not in calls[0]["headers"]
    tokens = [c["headers"].get("MS-ContinuationToken") for c in calls[1:]]
    assert all(tokens) and tokens[0] != tokens[1]
    assert {c["headers"]["MS-CorrelationId"] for c in calls} == {"run-pages"}
    assert len({c["headers"]["MS-RequestId"] for c in calls}) == 3  # each page is its own call


def test_customers_are_listed_across_pages_of_the_clients_size(pc_sandbox):
    ids = sorted(str(uuid.uuid4()) for _ in range(5))
    seed(pc_sandbox, [{"id": cid, "companyName": f"客户 {n}"} for n, cid in enumerate(ids)])
    client = PartnerCenterClient(pc_sandbox.url, StaticTokenProvider(SANDBOX_TOKEN), page_size=2)
    customers = list(client.list_customers())
    assert sorted(c.id for c in customers) == ids
    assert customers[0].tenant_id == customers[0].id and customers[0].relationship == "reseller"
    calls = sandbox_calls(pc_sandbox)
    assert len(calls) == 3 and all(c["query"]["size"] == "2" for c in calls)


def test_a_page_retried_after_throttling_keeps_its_continuation_token(pc_sandbox, pc_client, pc_sleeps):
    customer = a_customer(pc_sandbox, subscriptions=5)
    configure(pc_sandbox, page_size=2)
    fault(pc_sandbox, path="/subscriptions$", status=429, retry_after="2", times=1)
    list(pc_client.list_subscriptions(customer))  # the first page is throttled once
    calls = sandbox_calls(pc_sandbox)
    assert len(calls) == 4 and pc_sleeps.sleeps == [2.0]
    assert calls[2]["headers"]["MS-ContinuationToken"] != calls[3]["headers"]["MS-ContinuationToken"]


def test_a_next_link_to_another_host_is_refused_so_the_token_goes_nowhere_else(pc_sandbox, pc_client):
    page = {"totalCount": 0, "items": [], "attributes": {"objectType": "Collection"},
            "links": {"next": {"uri": "https://evil.example.cn/v1/customers", "method": "GET", "headers": []}}}
    fault(pc_sandbox, path="^/v1/customers$", status=200, body=page, times=1)
    with pytest.raises(PartnerCenterError, match="off Partner Center"):
        list(pc_client.list_customers())
    assert len(sandbox_calls(pc_sandbox)) == 1


def test_a_next_link_that_repeats_itself_stops_instead_of_looping(pc_sandbox, pc_client):
    page = {"totalCount": 0, "items": [], "attributes": {"objectType": "Collection"},
            "links": {"next": {"uri": "/customers?size=100", "method": "GET",
                               "headers": [{"key": "MS-ContinuationToken", "value": "same"}]}}}
    fault(pc_sandbox, path="^/v1/customers$", status=200, body=page, times=-1)
    with pytest.raises(PartnerCenterError, match="loops"):
        list(pc_client.list_customers())
    assert len(sandbox_calls(pc_sandbox)) == 2  # the first page, then the link that came back unchanged


# --- suspending and reactivating ---

def test_set_subscription_status_patches_the_full_resource_with_only_the_status_changed(pc_sandbox, pc_client):
    customer = a_customer(pc_sandbox)
    subscription = pc_client.get_subscription(customer, "sub-0")
    got = requests.get(f"{pc_sandbox.url}/v1/customers/{customer}/subscriptions/sub-0", headers=AUTH,
                       timeout=10).json()
    result = pc_client.set_subscription_status(customer, subscription, "suspended", correlation_id="run-9")
    patch = sandbox_calls(pc_sandbox, method="PATCH")
    assert len(patch) == 1
    body = patch[0]["body"]
    assert body["status"] == "suspended"
    assert {k: v for k, v in body.items() if k != "status"} == {k: v for k, v in got.items() if k != "status"}
    assert patch[0]["path"] == f"/v1/customers/{customer}/subscriptions/sub-0"
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


def test_an_unknown_status_is_a_bad_request_with_partner_centers_code_and_is_not_retried(
        pc_sandbox, pc_client, pc_sleeps):
    customer = a_customer(pc_sandbox)
    subscription = pc_client.get_subscription(customer, "sub-0")
    with pytest.raises(BadRequestError, match="3000") as caught:
        pc_client.set_subscription_status(customer, subscription, "paused")
    assert caught.value.status == 400 and caught.value.code == "3000" and pc_sleeps.sleeps == []
    assert pc_client.get_subscription(customer, "sub-0").status == "active"


@pytest.mark.parametrize(("before", "wanted"), [("deleted", "suspended"), ("deleted", "active"),
                                                ("expired", "active"), ("active", "deleted")])
def test_transitions_other_than_suspend_and_reactivate_are_bad_requests(pc_sandbox, pc_client, before, wanted):
    customer = a_customer(pc_sandbox, statuses=(before,))
    subscription = pc_client.get_subscription(customer, "sub-0")
    with pytest.raises(BadRequestError):
        pc_client.set_subscription_status(customer, subscription, wanted)
    assert pc_client.get_subscription(customer, "sub-0").status == before


def test_the_sandbox_answers_a_bad_status_with_an_error_in_partner_centers_shape(pc_sandbox, pc_client):
    customer = a_customer(pc_sandbox)
    body = pc_client.get_subscription(customer, "sub-0").with_status("deleted")
    response = requests.patch(f"{pc_sandbox.url}/v1/customers/{customer}/subscriptions/sub-0", json=body,
                              headers=AUTH, timeout=10)
    assert response.status_code == 400
    error = response.json()
    assert set(error) == {"code", "description", "data", "source"}
    assert error["code"] == 3000 and "deleted" in error["description"]
    assert error["data"] == [] and error["source"] == "PartnerFD"


# --- service requests ---

def test_a_service_request_round_trips_through_create_list_and_get(pc_sandbox, pc_client):
    created = pc_client.create_service_request(title="疑似挖矿", description="vm-miner-01 在挖矿",
                                               severity="Critical", support_topic_id=FRAUD_TOPIC)
    sr = created.value
    # create-a-service-request: a new request's status is `none`; severities are lower case
    assert sr.status == "none" and sr.support_topic_id == FRAUD_TOPIC and sr.severity == "critical"
    assert sr.description == "vm-miner-01 在挖矿" and sr.support_topic_name == "Fraud or suspicious activity"
    assert [listed.id for listed in pc_client.list_service_requests()] == [sr.id]
    assert pc_client.get_service_request(sr.id) == sr
    post = sandbox_calls(pc_sandbox, method="POST")
    assert post[0]["path"] == "/v1/servicerequests/zh-CN"
    assert post[0]["body"] == {"Title": "疑似挖矿", "Description": "vm-miner-01 在挖矿", "Severity": "critical",
                               "SupportTopicId": FRAUD_TOPIC, "Attributes": {"ObjectType": "ServiceRequest"}}
    assert created.request_id == post[0]["headers"]["MS-RequestId"]


def test_a_service_request_is_filed_under_the_agent_locale_given(pc_sandbox, pc_client):
    pc_client.create_service_request(title="t", description="d", severity="minimal", support_topic_id=FRAUD_TOPIC,
                                     agent_locale="en-US")
    assert sandbox_calls(pc_sandbox, method="POST")[0]["path"] == "/v1/servicerequests/en-US"


def test_a_service_requests_status_changed_in_the_sandbox_is_read_back(pc_sandbox, pc_client):
    sr = pc_client.create_service_request(title="t", description="d", severity="Moderate",
                                          support_topic_id=FRAUD_TOPIC).value
    requests.post(f"{pc_sandbox.url}/_sandbox/servicerequests/{sr.id}/status", json={"status": "attention_needed"},
                  timeout=10).raise_for_status()
    assert pc_client.get_service_request(sr.id).status == "attention_needed"


def test_the_fraud_support_topic_is_listed(pc_sandbox, pc_client):
    topics = {t.id: t.name for t in pc_client.list_support_topics()}
    assert topics[FRAUD_TOPIC] == "Fraud or suspicious activity"


def test_a_service_request_with_a_bad_severity_or_topic_is_a_bad_request(pc_sandbox, pc_client, pc_sleeps):
    with pytest.raises(BadRequestError, match="Severity"):
        pc_client.create_service_request(title="t", description="d", severity="Urgent", support_topic_id=FRAUD_TOPIC)
    with pytest.raises(BadRequestError, match="SupportTopicId"):
        pc_client.create_service_request(title="t", description="d", severity="Critical", support_topic_id="1")
    assert list(pc_client.list_service_requests()) == []
    assert pc_sleeps.sleeps == []


def test_an_unknown_service_request_is_not_found(pc_sandbox, pc_client):
    with pytest.raises(NotFoundError):
        pc_client.get_service_request("404404404")


# --- fraud events ---

def test_fraud_events_are_read_from_the_documented_bare_array(pc_sandbox, pc_client):
    customer = a_customer(pc_sandbox, fraudEvents=[
        {"eventId": "e-1", "subscriptionId": "sub-0", "eventType": "CryptoMining", "eventTime": "2026-11-20T03:14:00Z",
         "entityName": "vm-miner-01", "resourceGroupName": "rg-mining", "hitCount": 12}])
    response = requests.get(f"{pc_sandbox.url}/v1/fraudEvents", headers=AUTH, timeout=10)
    assert isinstance(response.json(), list)
    [event] = pc_client.list_fraud_events()
    assert (event.event_id, event.customer_id, event.subscription_id) == ("e-1", customer, "sub-0")
    # written as the documented sample writes it, without an offset, and read as UTC
    assert (event.event_type, event.event_status, event.event_time) == ("CryptoMining", "Active",
                                                                          "2026-11-20T03:14:00.00")
    assert event.event_at == datetime(2026, 11, 20, 3, 14, tzinfo=UTC)
    assert (event.resource_group_name, event.hit_count, event.customer_name) == ("rg-mining", 12,
                                                                                 "上海云帆科技有限公司")


def test_fraud_events_are_filtered_by_event_status(pc_sandbox, pc_client):
    customer = a_customer(pc_sandbox, fraudEvents=[
        {"eventId": "e-active", "subscriptionId": "sub-0", "eventStatus": "Active"},
        {"eventId": "e-resolved", "subscriptionId": "sub-0", "eventStatus": "Resolved"},
    ])
    assert {e.event_id for e in pc_client.list_fraud_events()} == {"e-active", "e-resolved"}
    active = list(pc_client.list_fraud_events(status="Active"))
    assert [(e.event_id, e.event_status, e.customer_id) for e in active] == [("e-active", "Active", customer)]
    assert sandbox_calls(pc_sandbox)[-1]["query"] == {"EventStatus": "Active", "PageSize": "100", "PageNumber": "1"}


def test_fraud_events_are_filtered_by_subscription_as_documented(pc_sandbox, pc_client):
    a_customer(pc_sandbox, fraudEvents=[{"eventId": "e-mine", "subscriptionId": "az-mine"}])
    a_customer(pc_sandbox, fraudEvents=[{"eventId": "e-other", "subscriptionId": "az-other"}])
    assert [e.event_id for e in pc_client.list_fraud_events(subscription_id="az-mine")] == ["e-mine"]
    assert sandbox_calls(pc_sandbox)[-1]["query"] == {"SubscriptionId": "az-mine", "PageSize": "100",
                                                      "PageNumber": "1"}


def test_fraud_events_are_filtered_by_type_in_the_new_events_model(pc_sandbox, pc_client):
    a_customer(pc_sandbox, fraudEvents=[
        {"eventId": "e-pool", "subscriptionId": "s", "eventType": "NetworkConnectionsToCryptoMiningPools"},
        {"eventId": "e-usage", "subscriptionId": "s", "eventType": "UsageAnomalyDetection"}])
    found = list(pc_client.list_fraud_events(event_type="NetworkConnectionsToCryptoMiningPools"))
    assert [e.event_id for e in found] == ["e-pool"]
    call = sandbox_calls(pc_sandbox)[-1]
    assert call["headers"]["X-NewEventsModel"] == "true"
    assert call["query"] == {"EventType": "NetworkConnectionsToCryptoMiningPools", "PageSize": "100",
                             "PageNumber": "1"}


def test_alert_types_beyond_crypto_mining_are_read_through_the_new_events_model(pc_sandbox, pc_client):
    a_customer(pc_sandbox, fraudEvents=[
        {"eventId": "e-usage", "subscriptionId": "s", "eventType": "UsageAnomalyDetection"},
        {"eventId": "e-vmss", "subscriptionId": "s",
         "eventType": "MultiRegionVirtualMachineScaleSetDeploymentAnomaly"}])
    old_model = requests.get(f"{pc_sandbox.url}/v1/fraudEvents", headers=AUTH, timeout=10).json()
    assert old_model == []  # the old model knew only crypto mining
    assert {e.event_type for e in pc_client.list_fraud_events()} == {
        "UsageAnomalyDetection", "MultiRegionVirtualMachineScaleSetDeploymentAnomaly"}
    assert sandbox_calls(pc_sandbox)[-1]["headers"]["X-NewEventsModel"] == "true"


def test_fraud_events_are_read_page_by_page_until_a_short_page(pc_sandbox):
    a_customer(pc_sandbox, fraudEvents=[{"eventId": f"e-{n:03d}", "subscriptionId": "s",
                                         "eventType": "UsageAnomalyDetection"} for n in range(25)])
    client = PartnerCenterClient(pc_sandbox.url, StaticTokenProvider(SANDBOX_TOKEN), page_size=10)
    events = [e.event_id for e in client.list_fraud_events()]
    assert events == [f"e-{n:03d}" for n in range(25)]
    pages = [c["query"]["PageNumber"] for c in sandbox_calls(pc_sandbox) if c["path"] == "/v1/fraudEvents"]
    assert pages == ["1", "2", "3"]


def test_an_exact_multiple_of_the_page_size_ends_on_an_empty_page(pc_sandbox):
    a_customer(pc_sandbox, fraudEvents=[{"eventId": f"e-{n}", "subscriptionId": "s"} for n in range(20)])
    client = PartnerCenterClient(pc_sandbox.url, StaticTokenProvider(SANDBOX_TOKEN), page_size=10)
    assert len(list(client.list_fraud_events())) == 20
    assert len([c for c in sandbox_calls(pc_sandbox) if c["path"] == "/v1/fraudEvents"]) == 3


def test_the_sandbox_refuses_a_page_size_that_is_not_a_positive_integer(pc_sandbox):
    response = requests.get(f"{pc_sandbox.url}/v1/fraudEvents?PageSize=0&PageNumber=1",
                            headers={**AUTH, "X-NewEventsModel": "true"}, timeout=10)
    assert response.status_code == 400 and "PageSize" in response.text
