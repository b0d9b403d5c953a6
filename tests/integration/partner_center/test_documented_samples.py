"""The contract: Microsoft's published samples (tests/fixtures/partner_center/) against csp-guard.

Each documented answer is served to the real client exactly as published (the sandbox's fault injection returns
the sample's body), and the client must read it. Each documented request is sent to the sandbox exactly as
published, and the sandbox must accept it and answer with at least the documented fields, spelled as documented.
A new fixture without a contract here fails `test_every_fixture_has_a_contract`.
"""

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from lib.partner_center.models import Subscription
from lib.services.partner_center_events import parse_event
from tests.fixtures.sandbox import fault, sandbox_calls, seed

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).parents[2] / "fixtures" / "partner_center"
AUTH = {"Authorization": "Bearer sandbox-token"}
NEW_MODEL = {**AUTH, "X-NewEventsModel": "true"}
CUSTOMER = "a248da34-6840-4c67-82d7-7f55ccd50d03"
COVERED: set[str] = set()


def sample(name):
    COVERED.add(name)
    document = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    assert document["_source"].startswith("https://learn.microsoft.com/partner-center/developer/")
    return document["sample"]


def shape(value):
    """The documented shape: property names (case as written), nested; lists by their first element."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return None


def missing(answer, documented, where=""):
    """The documented properties the answer lacks (spelled the same, at the same place); [] when it has them all."""
    if isinstance(documented, dict):
        if not isinstance(answer, dict):
            return [where or "."]
        return [gap for key, inner in documented.items()
                for gap in ([f"{where}.{key}"] if key not in answer else missing(answer[key], inner, f"{where}.{key}"))]
    if isinstance(documented, list) and documented:
        if not isinstance(answer, list):
            return [where]
        return missing(answer[0], documented[0], f"{where}[0]") if answer else []
    return []


def covers(answer, documented):
    gaps = missing(answer, documented)
    assert gaps == [], gaps
    return True


def serve(sandbox, method, path, body, status=200):
    fault(sandbox, path=path, method=method, status=status, body=body)


def a_customer(sandbox, **extra):
    seed(sandbox, [{"id": CUSTOMER, "companyName": "test customer",
                    "subscriptions": [{"id": "83ef9d05-4169-4ef9-9657-0e86b1eab1de"}], **extra}])


# --- the client reads every documented answer ---

def test_subscriptions_as_documented_are_read(pc_sandbox, pc_client):
    a_customer(pc_sandbox)
    documented = sample("subscription_get")
    serve(pc_sandbox, "GET", "/subscriptions/A356AC8C", documented)
    sub = pc_client.get_subscription(CUSTOMER, "A356AC8C-E310-44F4-BF85-C7F29044AF99")
    assert (sub.id, sub.status, sub.offer_id, sub.quantity) == (documented["id"], "active", "MS-AZR-0145P", 1)
    assert sub.etag == documented["attributes"]["etag"] and sub.raw == documented
    addon = Subscription.from_json(sample("subscription_get_addon"))
    assert (addon.status, addon.auto_renew_enabled, addon.unit_type) == ("active", True, "Licenses")
    listed = sample("subscriptions_list")
    serve(pc_sandbox, "GET", "/subscriptions$", listed)
    [only] = list(pc_client.list_subscriptions(CUSTOMER))
    assert (only.id, only.status, only.etag) == ("83ef9d05-4169-4ef9-9657-0e86b1eab1de", "active", "<etag>")


@pytest.mark.parametrize(("name", "status"), [("subscription_suspend", "suspended"),
                                              ("subscription_reactivate", "active")])
def test_the_documented_pascal_case_patch_answer_is_read(pc_sandbox, pc_client, name, status):
    a_customer(pc_sandbox)
    documented = sample(f"{name}_response")
    request = sample(f"{name}_request")
    read = Subscription.from_json({**request, "Status": "active" if status == "suspended" else "suspended"})
    assert read.etag == "<etag>" and read.id == request["Id"]  # the documented body, read back as a resource
    serve(pc_sandbox, "PATCH", "/subscriptions/", documented)
    answer = pc_client.set_subscription_status(CUSTOMER, read, status)
    assert (answer.value.id, answer.value.status, answer.value.etag) == (documented["Id"], status, "<etag>")
    [patch] = sandbox_calls(pc_sandbox, method="PATCH")
    assert patch["headers"]["If-Match"] == "<etag>"
    assert patch["body"] == {**request, "Status": status}  # the full resource, only Status changed, one Status


def test_customers_as_documented_are_read(pc_sandbox, pc_client):
    documented = sample("customers_list")
    serve(pc_sandbox, "GET", "^/v1/customers$", documented)
    customers = list(pc_client.list_customers())
    assert [c.id for c in customers] == [item["id"] for item in documented["items"]]
    assert {(c.company_name, c.relationship) for c in customers} == {("companyName", "reseller")}


def test_fraud_events_of_both_models_as_documented_are_read(pc_sandbox, pc_client):
    serve(pc_sandbox, "GET", "/v1/fraudEvents", sample("fraud_events_new_model"))
    [event] = list(pc_client.list_fraud_events())
    assert (event.event_type, event.severity, event.confidence_level, event.is_test) == (
        "NetworkConnectionsToCryptoMiningPools", "Medium", "high", False)
    assert (event.display_name, event.description) == ("sample display name", "sample description.")
    assert event.affected_resources[0]["type"] == "sample resource type"
    assert event.event_at == datetime(2021, 12, 8, 0, 25, 45, 690000, tzinfo=UTC)  # no offset: UTC
    assert (event.resolved_reason, event.hit_count, event.customer_id) == ("None", 10, CUSTOMER)
    old = sample("fraud_events_old_model")
    serve(pc_sandbox, "GET", "/v1/fraudEvents", old)
    [event] = list(pc_client.list_fraud_events())
    assert (event.event_id, event.event_status, event.is_test) == (old[0]["eventId"], "Active", False)


def test_service_requests_as_documented_are_read(pc_sandbox, pc_client):
    serve(pc_sandbox, "POST", "/v1/servicerequests/", sample("service_request_create_response"), status=201)
    created = pc_client.create_service_request(title="TrialSR", description="Ignore this SR", severity="critical",
                                               support_topic_id="32444671").value
    assert (created.id, created.status, created.severity) == ("616122292874576", "none", "critical")
    post = sandbox_calls(pc_sandbox, method="POST")[-1]["body"]
    documented_request = sample("service_request_create_request")
    assert {k: post[k] for k in ("Title", "Description", "Severity", "SupportTopicId")} == {
        k: documented_request[k] for k in ("Title", "Description", "Severity", "SupportTopicId")}
    serve(pc_sandbox, "GET", "/v1/servicerequests/616122292874576", sample("service_request_get"))
    got = pc_client.get_service_request("616122292874576")
    assert (got.status, got.support_topic_name) == ("open", "Cannot manage my profile")
    serve(pc_sandbox, "GET", "^/v1/servicerequests$", sample("service_requests_list"))
    [listed] = list(pc_client.list_service_requests())
    assert (listed.severity, listed.status) == ("unknown", "open")  # sent as the numbers 0 and 1
    serve(pc_sandbox, "GET", "/supporttopics", sample("support_topics"))
    assert [(t.id, t.name) for t in pc_client.list_support_topics()] == [
        ("32444667", "Partner Center Issues"), ("32444671", "Cannot manage my profile")]


def test_webhook_registration_as_documented_is_read(pc_sandbox, pc_client):
    serve(pc_sandbox, "GET", "^/webhooks/v1/registration$", sample("webhook_registration_get"))
    shown = pc_client.webhook_registration()
    assert shown.webhook_url == "{{YourCallbackUrl}}" and shown.subscriber_id is None
    serve(pc_sandbox, "GET", "^/webhooks/v1/registration$", sample("webhook_registration_get"))
    serve(pc_sandbox, "PUT", "^/webhooks/v1/registration$", sample("webhook_registration_update_response"))
    updated = pc_client.register_webhooks("{{YourCallbackUrl}}", ["subscription-updated", "test-created"])
    assert updated.subscriber_id == "e82cac64-dc67-4cd3-849b-78b6127dd57d"
    assert sandbox_calls(pc_sandbox)[-1]["body"] == sample("webhook_registration_update_request")


def test_a_test_event_request_and_its_result_as_documented_are_read(pc_sandbox, pc_client):
    serve(pc_sandbox, "POST", "/validationEvents$", sample("webhook_validation_event_created"))
    requested = pc_client.request_test_event()
    assert requested.correlation_id == "04af2aea-d413-42db-824e-f328001484d1"
    serve(pc_sandbox, "GET", "/validationEvents/04af2aea", sample("webhook_validation_event_result"))
    result = pc_client.test_event_result(requested.correlation_id)
    assert (result.status, result.results[0]["responseCode"]) == ("completed", "OK")


@pytest.mark.parametrize("name", ["webhook_event_test_created", "webhook_event_fraud_detected"])
def test_documented_webhook_events_are_read(name):
    documented = sample(name)
    event = parse_event(json.dumps(documented).encode())
    assert (event.name, event.resource_uri) == (documented["EventName"], documented["ResourceUri"])


def test_the_documented_delivery_is_read_as_an_event():
    delivery = sample("webhook_delivery")
    assert parse_event(json.dumps(delivery["body"]).encode()).name == "test-created"
    assert delivery["headers"]["Authorization"].startswith("Signature ")  # verified in the webhook unit tests


# --- the sandbox accepts every documented request and answers in the documented shape ---

def test_the_sandbox_takes_the_documented_patch_bodies_and_answers_the_documented_shape(pc_sandbox):
    a_customer(pc_sandbox)
    url = f"{pc_sandbox.url}/v1/customers/{CUSTOMER}/subscriptions/83ef9d05-4169-4ef9-9657-0e86b1eab1de"
    current = requests.get(url, headers=AUTH, timeout=10).json()
    assert covers(current, shape(sample("subscription_get")))
    for name, status in (("subscription_suspend", "suspended"), ("subscription_reactivate", "active")):
        etag = requests.get(url, headers=AUTH, timeout=10).json()["attributes"]["etag"]
        body = sample(f"{name}_request")
        stale = requests.patch(url, json=body, headers={**AUTH, "If-Match": "<etag>"}, timeout=10)
        assert stale.status_code == 412  # the sample's placeholder is not the subscription's etag
        answer = requests.patch(url, json=body, headers={**AUTH, "If-Match": etag}, timeout=10)
        assert answer.status_code == 200, answer.text
        assert covers(answer.json(), shape(sample(f"{name}_response"))) and answer.json()["Status"] == status


def test_the_sandbox_answers_collections_with_total_count_and_links_self(pc_sandbox):
    a_customer(pc_sandbox)
    answer = requests.get(f"{pc_sandbox.url}/v1/customers?size=40", headers=AUTH, timeout=10).json()
    documented = sample("customers_list")
    assert covers(answer, shape(documented))
    assert answer["links"]["self"]["uri"] == documented["links"]["self"]["uri"] == "/v1/customers?size=40"
    assert answer["totalCount"] == len(answer["items"])  # as in the samples: the items answered
    subs = requests.get(f"{pc_sandbox.url}/v1/customers/{CUSTOMER}/subscriptions", headers=AUTH, timeout=10).json()
    assert covers(subs, shape(sample("subscriptions_list")))


def test_the_sandbox_answers_fraud_events_in_both_documented_models(pc_sandbox):
    a_customer(pc_sandbox, fraudEvents=[{"subscriptionId": "83ef9d05-4169-4ef9-9657-0e86b1eab1de",
                                         "eventTime": "2021-12-08T00:25:45.69"}])
    new = requests.get(f"{pc_sandbox.url}/v1/fraudEvents", headers=NEW_MODEL, timeout=10).json()
    documented_new = sample("fraud_events_new_model")
    assert covers(new, shape(documented_new))
    assert set(new[0]) == set(documented_new[0])  # exactly the documented fields
    assert (new[0]["IsTest"], new[0]["eventTime"], new[0]["resolvedOn"]) == (
        "false", "2021-12-08T00:25:45.69", documented_new[0]["resolvedOn"])
    old = requests.get(f"{pc_sandbox.url}/v1/fraudEvents", headers=AUTH, timeout=10).json()
    assert set(old[0]) == set(sample("fraud_events_old_model")[0])


def test_the_sandbox_takes_the_documented_service_request_and_answers_the_documented_shape(pc_sandbox):
    documented = sample("service_request_create_request")
    created = requests.post(f"{pc_sandbox.url}/v1/servicerequests/en-US", json=documented, headers=AUTH, timeout=10)
    assert created.status_code == 201, created.text
    answer = created.json()
    assert covers(answer, shape(sample("service_request_create_response")))
    assert (answer["status"], answer["severity"]) == ("none", "critical")
    got = requests.get(f"{pc_sandbox.url}/v1/servicerequests/{answer['id']}", headers=AUTH, timeout=10).json()
    assert covers(got, shape(sample("service_request_get")))
    listed = requests.get(f"{pc_sandbox.url}/v1/servicerequests", headers=AUTH, timeout=10).json()
    documented_list = shape(sample("service_requests_list"))
    assert covers(listed, documented_list)
    topics = requests.get(f"{pc_sandbox.url}/v1/servicerequests/supporttopics", headers=AUTH, timeout=10).json()
    assert covers(topics, shape(sample("support_topics")))
    assert all(isinstance(t["id"], int) for t in topics["items"])  # numbers, as in the sample


def test_the_sandbox_takes_the_documented_webhook_registration(pc_sandbox):
    url = f"{pc_sandbox.url}/webhooks/v1/registration"
    assert requests.get(url, headers=AUTH, timeout=10).status_code == 404
    registered = requests.post(url, json=sample("webhook_registration_request"), headers=AUTH, timeout=10).json()
    assert set(registered) == set(sample("webhook_registration_response"))
    shown = requests.get(url, headers=AUTH, timeout=10).json()
    assert set(shown) == set(sample("webhook_registration_get"))
    updated = requests.put(url, json=sample("webhook_registration_update_request"), headers=AUTH, timeout=10).json()
    assert set(updated) == set(sample("webhook_registration_update_response"))
    assert updated["SubscriberId"] == registered["SubscriberId"]
    events = requests.get(f"{url}/events", headers=AUTH, timeout=10).json()
    assert set(sample("webhook_events_list")) <= set(events)
    assert requests.get(f"{pc_sandbox.url}/v1/webhooks/registration", headers=AUTH, timeout=10).status_code == 404


def test_the_sandbox_sends_a_documented_test_event_and_reports_it_as_documented(pc_sandbox, pc_client):
    url = f"{pc_sandbox.url}/webhooks/v1/registration"
    validation = f"{url}/validationEvents"
    assert requests.post(validation, headers=AUTH, timeout=10).status_code == 400  # not registered for test-created
    registration = {**sample("webhook_registration_request"), "WebhookUrl": "http://127.0.0.1:1/callback"}
    requests.post(url, json=registration, headers=AUTH, timeout=10).raise_for_status()
    requested = requests.post(validation, headers=AUTH, timeout=10).json()
    assert set(requested) == set(sample("webhook_validation_event_created"))
    for _ in range(200):
        result = requests.get(f"{validation}/{requested['correlationId']}", headers=AUTH, timeout=10).json()
        if result["status"] == "completed":
            break
        time.sleep(0.1)
    assert covers(result, shape(sample("webhook_validation_event_result")))
    assert result["results"][0]["systemError"] is True  # nothing listens on port 1: recorded, not raised


def test_a_usage_summary_and_a_budget_as_documented(pc_sandbox, pc_client):
    a_customer(pc_sandbox)
    serve(pc_sandbox, "GET", "/usagesummary$", sample("usage_summary"))
    usage = pc_client.get_usage_summary(CUSTOMER)
    assert (usage.total_cost, usage.currency, usage.budget) == (2883, "GBP", 9700)  # yuan/pounds as whole minor units
    url = f"{pc_sandbox.url}/v1/customers/{CUSTOMER}/usagebudget"
    answer = requests.patch(url, json=sample("usage_budget_update_request"), headers=AUTH, timeout=10)
    assert answer.status_code == 200, answer.text
    assert covers(answer.json(), shape(sample("usage_budget_update_response"))) and answer.json()["amount"] == 100
    summary = requests.get(f"{pc_sandbox.url}/v1/customers/{CUSTOMER}/usagesummary", headers=AUTH, timeout=10).json()
    assert covers(summary, shape(sample("usage_summary"))) and summary["budget"]["amount"] == 100


def test_a_billing_profile_as_documented(pc_sandbox, pc_client):
    documented = sample("billing_profile")
    a_customer(pc_sandbox, billingProfile={"email": "caiwu@example.cn", "culture": "zh-CN", "language": "zh",
                                           "firstName": "伟", "lastName": "王"})
    served = requests.get(f"{pc_sandbox.url}/v1/customers/{CUSTOMER}/profiles/billing", headers=AUTH, timeout=10)
    assert served.status_code == 200 and covers(served.json(), {key: documented[key] for key in (
        "id", "firstName", "lastName", "email", "culture", "language", "companyName", "links", "attributes")})
    serve(pc_sandbox, "GET", "/profiles/billing$", documented)
    profile = pc_client.get_billing_profile(CUSTOMER)
    assert (profile.email, profile.culture, profile.company_name) == (documented["email"], "en-US",
                                                                      documented["companyName"])


def test_every_fixture_has_a_contract():
    """Runs last in this module (pytest keeps file order): every fixture file was used above."""
    assert {p.stem for p in FIXTURES.glob("*.json")} == COVERED
