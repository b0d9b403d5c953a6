"""Fraud events in the documented new events model, through the fraud poll: a test alert (isTest) is recorded and
shown but never acted on, the watermark compares instants (the sample's eventTime has no offset and two decimals),
and a case keeps the alert's confidenceLevel, affectedResources, displayName and description."""

import pytest

from lib.app_context import get_context
from lib.services.fraud_detection import WATERMARK_KEY
from lib.store.watermarks import Watermarks
from tests.fixtures.sandbox import sandbox_calls, seed
from tests.support.suspension_world import pc_status

pytestmark = pytest.mark.integration
CUSTOMER = "5b1f0c3e-2222-4a2b-8c3d-0e1f2a3b4c5d"


def seed_event(sandbox, **event):
    seed(sandbox, [{"id": CUSTOMER, "companyName": "测试告警有限公司", "subscriptions": [{"id": "az-1"}],
                    "fraudEvents": [{"eventId": "fe-1", "subscriptionId": "az-1",
                                     "eventType": "NetworkConnectionsToCryptoMiningPools",
                                     "eventTime": "2026-11-20T03:14:45.69", "severity": "High", **event}]}])


def test_a_test_alert_is_recorded_and_shown_and_never_acted_on(app_env, pc_sandbox):
    seed_event(pc_sandbox, isTest=True)
    context = get_context()
    report = context.fraud_poll().run()
    assert report.test_events == 1 and report.suspended == 0 and report.service_requests_queued == 0
    [case] = context.cases.for_customer(CUSTOMER)
    assert case.status == "test" and case.event_ids == {"fe-1"}
    assert case.findings[0]["event"]["is_test"] is True
    assert pc_status(pc_sandbox, CUSTOMER, "az-1") == "active"
    assert not [c for c in sandbox_calls(pc_sandbox, method="PATCH") if "/subscriptions/" in c["path"]]
    assert context.service_requests.receive(max_messages=5) == []
    again = get_context().fraud_poll().run()  # seen again: recorded once
    assert again.test_events == 0 and len(context.cases.for_customer(CUSTOMER)) == 1


def test_the_case_keeps_the_alerts_own_words(app_env, pc_sandbox):
    resources = [{"azureResourceId": "/subscriptions/az-1/resourceGroups/rg/providers/Microsoft.Compute/"
                                     "virtualMachines/vm-9", "type": "Microsoft.Compute/virtualMachines"}]
    seed_event(pc_sandbox, confidenceLevel="high", displayName="Crypto-mining pool connections",
               description="vm-9 talked to a known mining pool.", affectedResources=resources)
    context = get_context()
    assert context.fraud_poll().run().cases_opened == 1
    [case] = context.cases.for_customer(CUSTOMER)
    [finding] = case.findings
    assert finding["event"] == {"event_id": "fe-1", "event_type": "NetworkConnectionsToCryptoMiningPools",
                                "severity": "High", "confidence_level": "high",
                                "display_name": "Crypto-mining pool connections",
                                "description": "vm-9 talked to a known mining pool.",
                                "affected_resources": resources, "is_test": False}


@pytest.mark.parametrize(("watermark", "read"), [
    # As text "…45.69" sorts before "…45Z", so the later event would be lost; as instants it is 0.69 s later.
    ("2026-11-20T03:14:45Z", 1),
    ("2026-11-20T03:14:46+00:00", 0),  # an event before the watermark is not read again
])
def test_the_watermark_compares_instants_not_text(app_env, pc_sandbox, watermark, read):
    marks = Watermarks(get_context().tables.table("runs"))
    marks.set(*WATERMARK_KEY, watermark)
    seed_event(pc_sandbox)
    report = get_context().fraud_poll().run()
    assert report.events_new == read and report.cases_opened == read
    if read:  # moved to the event's time, read as UTC, stored with its offset
        assert marks.get(*WATERMARK_KEY) == "2026-11-20T03:14:45.690000+00:00"
