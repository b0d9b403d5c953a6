"""Partner Center's signed webhooks, delivered by the sandbox to the development host, and their registration with
`csp-guard pc-webhooks` at the documented `/webhooks/v1/registration`."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.fixtures.azurite import start_devhost
from tests.fixtures.sandbox import sandbox_calls, seed
from tests.support.suspension_world import pc_status

pytestmark = pytest.mark.e2e
MINER = "9b2f4c1e-1111-4a2b-8c3d-0e1f2a3b4c5d"
CLI = str(Path(sys.executable).with_name("csp-guard"))


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


def pc_webhooks(env, *args):
    done = subprocess.run([CLI, "pc-webhooks", *args], env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("signature_header", ["authorization", "x-ms-signature"])
def test_a_signed_fraud_event_suspends_within_the_request_in_either_header_mode(host, pc_sandbox, signature_header):
    answer = deliver(pc_sandbox, host, signatureHeader=signature_header)
    assert answer["status"] == 200, answer
    assert answer["body"]["cases_opened"] == 1 and answer["body"]["suspended"] == 1
    assert pc_status(pc_sandbox, MINER, "az-9") == "suspended"
    again = deliver(pc_sandbox, host, signatureHeader=signature_header)  # a retried delivery: nothing new happens
    assert again["body"]["events_new"] == 0 and again["body"]["cases_opened"] == 0


def test_registration_as_documented_then_deliveries_signed_the_registered_way(host, pc_sandbox, app_env):
    callback = f"{host.url}/api/webhooks/partner-center"
    assert pc_webhooks(app_env, "show") == {"registered": False}
    registered = pc_webhooks(app_env, "register", "--url", callback, "--ms-signature-header")
    assert registered["WebhookUrl"] == callback and registered["SubscriberId"]
    assert "azure-fraud-event-detected" in registered["WebhookEvents"]
    calls = [c for c in sandbox_calls(pc_sandbox) if "webhooks" in c["path"]]
    assert [(c["method"], c["path"]) for c in calls] == [("GET", "/webhooks/v1/registration")] * 2 + [
        ("POST", "/webhooks/v1/registration")]
    assert calls[-1]["body"] == {"WebhookUrl": callback, "WebhookEvents": registered["WebhookEvents"],
                                 "SignatureTokenToMsSignatureHeader": True}
    shown = pc_webhooks(app_env, "show")
    assert (shown["WebhookUrl"], shown["WebhookEvents"]) == (callback, registered["WebhookEvents"])
    again = pc_webhooks(app_env, "register", "--url", callback, "--event", "azure-fraud-event-detected")
    assert again["SubscriberId"] == registered["SubscriberId"] and again["WebhookEvents"] == [
        "azure-fraud-event-detected"]
    assert sandbox_calls(pc_sandbox)[-1]["method"] == "PUT"  # an update of the one registration
    # The sandbox delivers to the registered URL; the app verifies whichever header it was registered for.
    answer = requests.post(f"{pc_sandbox.url}/_sandbox/webhooks/deliver", timeout=60, json={
        "eventName": "azure-fraud-event-detected", "resourceUri": f"{pc_sandbox.url}/v1/fraudEvents"}).json()
    assert answer["status"] == 200 and answer["body"]["suspended"] == 1


def test_a_tampered_body_is_401_and_changes_nothing(host, pc_sandbox):
    for signature_header in ("authorization", "x-ms-signature"):
        answer = deliver(pc_sandbox, host, tamper=True, signatureHeader=signature_header)
        assert answer["status"] == 401
    assert pc_status(pc_sandbox, MINER, "az-9") == "active" and cases(host)["items"] == []


def test_a_certificate_outside_the_trusted_chain_is_401_and_changes_nothing(host, pc_sandbox):
    answer = deliver(pc_sandbox, host, signer="self-signed")
    assert answer["status"] == 401 and "chain" in answer["body"]["detail"]
    assert pc_status(pc_sandbox, MINER, "az-9") == "active" and cases(host)["items"] == []


@pytest.mark.parametrize("certificate_url", [
    "http://localhost:1/cert/evil.cer",
    "https://evil.example.cn/cert/pc.cer",
    "https://3psostorageacct.blob.core.windows.net:99999/cert/pc.cer",
    "https://[::1/cert/pc.cer",
    "https://3psostorageacct.blob.core.windows.net:8443/cert/pc.cer",
])
def test_a_bad_or_malformed_certificate_url_is_401_and_changes_nothing(host, pc_sandbox, certificate_url):
    answer = deliver(pc_sandbox, host, certificateUrl=certificate_url)
    assert answer["status"] == 401, answer
    assert pc_status(pc_sandbox, MINER, "az-9") == "active" and cases(host)["items"] == []


def test_a_wrong_algorithm_or_missing_signature_is_401(host, pc_sandbox):
    assert deliver(pc_sandbox, host, headers={"X-MS-Signature-Algorithm": "hmac-sha1"})["status"] == 401
    assert deliver(pc_sandbox, host, headers={"Authorization": "Bearer x"})["status"] == 401


@pytest.mark.parametrize("header_flag", [[], ["--ms-signature-header"]])
def test_a_partner_confirms_the_webhook_with_a_test_event(host, pc_sandbox, app_env, header_flag):
    pc_webhooks(app_env, "register", "--url", f"{host.url}/api/webhooks/partner-center", *header_flag)
    result = pc_webhooks(app_env, "test")
    assert result["status"] == "completed", result
    [attempt] = result["results"]
    assert (attempt["responseCode"], attempt["systemError"]) == ("OK", False)  # verified, acknowledged, ignored
    assert cases(host)["items"] == []


def test_a_test_alert_delivered_by_webhook_is_shown_and_not_acted_on(host, pc_sandbox):
    tester = "3c1d2e4f-2222-4b3c-9d4e-1f2a3b4c5d6e"
    seed(pc_sandbox, [{"id": tester, "companyName": "测试告警公司", "subscriptions": [{"id": "az-t"}],
                       "fraudEvents": [{"eventId": "fe-test", "subscriptionId": "az-t", "isTest": True}]}])
    answer = deliver(pc_sandbox, host, resourceUri=f"{pc_sandbox.url}/v1/fraudEvents?SubscriptionId=az-t")
    assert answer["status"] == 200 and answer["body"]["test_events"] == 1
    assert answer["body"]["suspended"] == 0 and answer["body"]["service_requests_queued"] == 0
    assert pc_status(pc_sandbox, tester, "az-t") == "active"
    shown = requests.get(f"{host.url}/api/cases?status=test", headers={"x-functions-key": host.function_key},
                         timeout=10).json()["items"]
    assert [(c["customer_id"], c["event_ids"]) for c in shown] == [(tester, ["fe-test"])]
