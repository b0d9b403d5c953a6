"""Partner Center resources as csp-guard reads them from their JSON."""

import copy
from typing import Any

from lib.partner_center.models import (
    Customer,
    FraudEvent,
    ServiceRequest,
    Subscription,
    SupportTopic,
    UsageSummary,
    to_minor_units,
)


def subscription_json() -> dict[str, Any]:
    return {
        "id": "a1b2c3", "entitlementId": "a1b2c3", "offerId": "DZH318Z0BPS6:0001", "offerName": "Azure plan",
        "friendlyName": "生产环境", "quantity": 3, "billingCycle": "monthly", "autoRenewEnabled": True,
        "commitmentEndDate": "2027-01-01T00:00:00Z", "creationDate": "2026-01-01T00:00:00Z", "status": "Active",
        "links": {"self": {"uri": "/customers/c/subscriptions/a1b2c3", "method": "GET", "headers": []}},
        "attributes": {"etag": "etag-1", "objectType": "Subscription"},
    }


def test_a_subscription_is_read_with_its_fields_and_a_lower_case_status():
    sub = Subscription.from_json(subscription_json())
    assert sub == Subscription(id="a1b2c3", status="active", offer_id="DZH318Z0BPS6:0001", offer_name="Azure plan",
                               friendly_name="生产环境", quantity=3, billing_cycle="monthly", auto_renew_enabled=True,
                               commitment_end_date="2027-01-01T00:00:00Z", creation_date="2026-01-01T00:00:00Z",
                               etag="etag-1")


def test_a_subscription_keeps_its_raw_json_including_fields_it_does_not_model():
    data = subscription_json()
    sub = Subscription.from_json(data)
    assert sub.raw == data
    assert sub.raw["links"] == data["links"] and sub.raw["entitlementId"] == "a1b2c3"


def test_a_subscription_with_only_an_id_gets_empty_defaults():
    sub = Subscription.from_json({"id": 42})
    assert (sub.id, sub.status, sub.quantity, sub.etag, sub.auto_renew_enabled) == ("42", "", 0, None, False)


def test_with_status_changes_only_the_status():
    data = subscription_json()
    original = copy.deepcopy(data)
    body = Subscription.from_json(data).with_status("suspended")
    assert body["status"] == "suspended"
    assert {k: v for k, v in body.items() if k != "status"} == {k: v for k, v in original.items() if k != "status"}
    assert set(body) == set(original)


def test_with_status_leaves_the_subscription_and_its_source_json_untouched():
    data = subscription_json()
    sub = Subscription.from_json(data)
    sub.with_status("suspended")
    assert sub.status == "active" and sub.raw["status"] == "Active" and data["status"] == "Active"


def test_a_customer_is_read_from_its_company_profile():
    data = {"id": "c-1", "relationshipToPartner": "reseller", "attributes": {"objectType": "Customer"},
            "companyProfile": {"tenantId": "c-1", "companyName": "上海云帆科技有限公司",
                               "domain": "yunfan.partner.onmschina.cn"}}
    customer = Customer.from_json(data)
    assert customer == Customer(id="c-1", company_name="上海云帆科技有限公司", domain="yunfan.partner.onmschina.cn",
                                relationship="reseller", tenant_id="c-1")
    assert customer.to_json() == data


def test_a_customer_without_a_company_profile_has_empty_names():
    assert Customer.from_json({"id": "c-2"}) == Customer(id="c-2", company_name="")


def test_a_service_request_is_read_with_a_lower_case_status_and_keeps_its_raw_json():
    data = {"id": "2026112000001", "title": "疑似挖矿", "status": "Open", "severity": "Critical",
            "supportTopicId": "32444671", "createdDate": "2026-11-20T03:14:00Z",
            "lastModifiedDate": "2026-11-20T03:15:00Z", "notes": []}
    sr = ServiceRequest.from_json(data)
    assert sr == ServiceRequest(id="2026112000001", title="疑似挖矿", status="open", severity="critical",
                                support_topic_id="32444671", created_date="2026-11-20T03:14:00Z",
                                last_modified_date="2026-11-20T03:15:00Z")
    assert sr.raw == data


def test_a_fraud_event_is_read_with_a_lower_case_customer_tenant():
    data = {"eventId": "e-1", "customerTenantId": "ABCDEF", "subscriptionId": "s-1", "eventType": "CryptoMining",
            "eventStatus": "Active", "eventTime": "2026-11-20T03:14:00Z", "severity": "High",
            "entityName": "vm-miner-01"}
    event = FraudEvent.from_json(data)
    assert event == FraudEvent(event_id="e-1", customer_id="abcdef", subscription_id="s-1",
                               event_type="CryptoMining", event_status="Active", event_time="2026-11-20T03:14:00Z",
                               severity="High", entity_name="vm-miner-01")
    assert event.raw == data


def test_a_fraud_event_is_read_from_partner_centers_documented_sample():
    data = {"eventTime": "2021-12-08T00:25:45.69", "eventId": "2a7064fb_2edeb5b1",
            "partnerTenantId": "348e932d", "partnerFriendlyName": "test partner",
            "customerTenantId": "A248DA34-6840", "customerFriendlyName": "test customer",
            "subscriptionId": "2a7064fb-1e33", "subscriptionType": "modern", "entityId": "2edeb5b1",
            "entityName": "sampleentity", "entityUrl": "\\sample\\entity\\url", "hitCount": "10",
            "catalogOfferId": "ms-azr-17g", "eventStatus": "Active", "serviceName": "sampleservice",
            "resourceName": "sampleresource", "resourceGroupName": "sampleresourcegroup",
            "firstOccurrence": "2021-12-08T00:25:45.69", "lastOccurrence": "2021-12-08T01:25:45.69",
            "resolvedReason": "None", "eventType": "NetworkConnectionsToCryptoMiningPools", "severity": "Medium"}
    event = FraudEvent.from_json(data)
    assert (event.event_id, event.customer_id, event.subscription_id) == ("2a7064fb_2edeb5b1", "a248da34-6840",
                                                                          "2a7064fb-1e33")
    assert (event.event_type, event.event_status, event.severity) == ("NetworkConnectionsToCryptoMiningPools",
                                                                      "Active", "Medium")
    assert (event.resource_name, event.resource_group_name, event.hit_count) == ("sampleresource",
                                                                                 "sampleresourcegroup", 10)
    assert (event.first_occurrence, event.last_occurrence) == ("2021-12-08T00:25:45.69", "2021-12-08T01:25:45.69")
    assert event.customer_name == "test customer" and event.to_json() == data


def test_a_fraud_event_of_the_old_model_without_an_event_type_takes_its_event_name():
    event = FraudEvent.from_json({"eventId": "e", "eventName": "CryptoMining", "hitCount": "many"})
    assert event.event_type == "CryptoMining" and event.hit_count is None


def test_a_fraud_event_falls_back_to_id_and_customer_id():
    event = FraudEvent.from_json({"id": "e-2", "customerId": "XYZ"})
    assert (event.event_id, event.customer_id) == ("e-2", "xyz")


def test_amounts_in_yuan_become_whole_fen_rounded_half_up():
    assert [to_minor_units(v) for v in ("12.34", 0.1, "0.005", 7, "1999.995")] == [1234, 10, 1, 700, 200000]


def test_a_subscription_keeps_its_unit_type_and_effective_start_date():
    sub = Subscription.from_json({**subscription_json(), "unitType": "Licenses",
                                  "effectiveStartDate": "2026-01-01T00:00:00Z"})
    assert (sub.unit_type, sub.effective_start_date) == ("Licenses", "2026-01-01T00:00:00Z")


def test_a_subscriptions_to_json_is_a_copy_of_what_partner_center_sent():
    data = subscription_json()
    body = Subscription.from_json(data).to_json()
    assert body == data
    body["status"] = "suspended"
    assert data["status"] == "Active"


def test_a_subscription_built_by_hand_still_has_a_json_form():
    assert Subscription(id="s", status="active").with_status("suspended") == {
        "id": "s", "status": "suspended", "attributes": {"objectType": "Subscription"}}


def test_a_support_topic_and_a_service_request_round_trip_through_json():
    topic = SupportTopic.from_json({"id": 32444671, "name": "Fraud", "description": "Suspected fraud"})
    assert SupportTopic.from_json(topic.to_json()) == topic and topic.id == "32444671"
    sr = ServiceRequest(id="1", title="t", status="open", severity="critical", support_topic_id="32444671",
                        description="d")
    assert ServiceRequest.from_json(sr.to_json()) == sr


def test_a_usage_summary_keeps_yuan_amounts_as_whole_fen():
    usage = UsageSummary.from_json("c", {"totalCost": 1234.56, "currencyCode": "CNY", "budget": {"amount": "2000"}})
    assert (usage.total_cost, usage.budget, usage.currency) == (123456, 200000, "CNY")
    assert UsageSummary.from_json("c", {"totalCost": "0", "budget": {"amount": 0}}).budget is None
