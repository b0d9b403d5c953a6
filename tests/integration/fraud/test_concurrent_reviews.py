"""Fraud reviews run under the customer's lock: five deliveries of one fraud event at once, from the webhook and the
poll, open one case, suspend once and ask for one service request."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from lib.app_context import get_context
from lib.services.partner_center_events import PartnerCenterEvent
from tests.fixtures.sandbox import sandbox_calls, seed

pytestmark = pytest.mark.integration
MINER = "8d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a"


def test_five_concurrent_deliveries_of_one_fraud_event_open_one_case_and_one_service_request(app_env, pc_sandbox):
    seed(pc_sandbox, [{"id": MINER, "companyName": "并发挖矿公司", "subscriptions": [{"id": "az-5"}],
                       "fraudEvents": [{"eventId": "fe-5", "subscriptionId": "az-5", "eventType": "CryptoMining"}]}])
    event = PartnerCenterEvent("azure-fraud-event-detected", f"{pc_sandbox.url}/v1/fraudEvents?SubscriptionId=az-5",
                               "", "")
    context = get_context()

    def deliver(n):
        if n == 4:  # the poll, racing the webhook's redeliveries
            return context.fraud_poll().run().counts()
        return context.partner_center_events().handle(event)

    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(pool.map(deliver, range(5)))
    assert sum(a["cases_opened"] for a in answers) == 1
    assert sum(a["service_requests_queued"] for a in answers) == 1
    cases = context.cases.for_customer(MINER)
    assert len(cases) == 1 and cases[0].event_ids == {"fe-5"}
    assert len(sandbox_calls(pc_sandbox, method="PATCH")) == 1
    messages = context.service_requests.receive(max_messages=16)
    assert len(messages) == 1
    context.service_requests_service().handle(messages[0].body)
    posts = [c for c in sandbox_calls(pc_sandbox, method="POST") if c["path"].startswith("/v1/servicerequests/")]
    assert len(posts) == 1
