"""Partner Center's signed webhooks, delivered by the sandbox to the development host."""

import pytest
import requests

from tests.fixtures.azurite import start_devhost
from tests.fixtures.sandbox import seed
from tests.support.suspension_world import pc_status

pytestmark = pytest.mark.e2e
MINER = "9b2f4c1e-1111-4a2b-8c3d-0e1f2a3b4c5d"


@pytest.fixture
def host(app_env, pc_sandbox):
    seed(pc_sandbox, [{"id": MINER, "companyName": "挖矿嫌疑公司", "subscriptions": [{"id": "az-9"}],
                       "fraudEvents": [{"eventId": "fe-9", "subscriptionId": "az-9", "eventType": "CryptoMining"}]}])
    running = start_devhost(dict(app_env), "--no-timers", "--no-queues")
    yield running
    running.stop()


def deliver(sandbox, host, **extra):
    body = {"url": f"{host.url}/api/webhooks/partner-center", "eventName": "azure-fraud-event-detected",
            "resourceUri": f"{sandbox.url}/v1/fraudEvents?SubscriptionId=az-9", **extra}
    return requests.post(f"{sandbox.url}/_sandbox/webhooks/deliver", json=body, timeout=60).json()


def cases(host):
    return requests.get(f"{host.url}/api/cases", headers={"x-functions-key": host.function_key}, timeout=10).json()


def test_a_signed_fraud_event_suspends_within_the_request(host, pc_sandbox):
    answer = deliver(pc_sandbox, host)
    assert answer["status"] == 200, answer
    assert answer["body"]["cases_opened"] == 1 and answer["body"]["suspended"] == 1
    assert pc_status(pc_sandbox, MINER, "az-9") == "suspended"
    again = deliver(pc_sandbox, host)  # Partner Center retries the delivery: nothing new happens
    assert again["body"]["events_new"] == 0 and again["body"]["cases_opened"] == 0


def test_a_tampered_body_is_401_and_changes_nothing(host, pc_sandbox):
    answer = deliver(pc_sandbox, host, tamper=True)
    assert answer["status"] == 401
    assert pc_status(pc_sandbox, MINER, "az-9") == "active" and cases(host)["items"] == []


def test_a_certificate_off_the_allowed_host_is_401_and_changes_nothing(host, pc_sandbox):
    answer = deliver(pc_sandbox, host, certificateUrl="http://localhost:1/cert/evil.cer")
    assert answer["status"] == 401
    https_elsewhere = deliver(pc_sandbox, host, certificateUrl="https://evil.example.cn/cert/pc.cer")
    assert https_elsewhere["status"] == 401
    assert pc_status(pc_sandbox, MINER, "az-9") == "active" and cases(host)["items"] == []


def test_a_wrong_algorithm_or_missing_signature_is_401(host, pc_sandbox):
    assert deliver(pc_sandbox, host, headers={"X-MS-Signature-Algorithm": "hmac-sha1"})["status"] == 401
    assert deliver(pc_sandbox, host, headers={"Authorization": "Bearer x"})["status"] == 401
