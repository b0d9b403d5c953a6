"""What the client sends on every call, and how it retries, checked on the real sandbox server through its call
log. Nothing is mocked; sleeps are only recorded."""

import uuid

import pytest
import requests

from lib.partner_center.client import PartnerCenterClient
from lib.partner_center.errors import AuthenticationError, RetriesExhaustedError
from lib.partner_center.retry import RetryPolicy
from lib.partner_center.tokens import StaticTokenProvider
from tests.fixtures.sandbox import SANDBOX_TOKEN, fault, sandbox_calls
from tests.integration.partner_center.sandbox_world import FRAUD_TOPIC, a_customer

pytestmark = pytest.mark.integration


class BlankTokens:
    def get_token(self) -> str:
        return "   "


# --- headers and request ids ---

def test_every_call_sends_the_bearer_token_and_the_partner_center_headers(pc_sandbox, pc_client):
    customer = a_customer(pc_sandbox)
    pc_client.get_customer(customer)
    list(pc_client.list_subscriptions(customer))
    pc_client.get_subscription(customer, "sub-0", correlation_id="run-42")
    calls = sandbox_calls(pc_sandbox)
    assert len(calls) == 3
    for call in calls:
        headers = call["headers"]
        assert headers["Authorization"] == f"Bearer {SANDBOX_TOKEN}"
        assert headers["Accept"] == "application/json"
        assert headers["MS-Contract-Version"] == "v1"
        assert headers["X-Locale"] == "zh-CN"
        assert headers["User-Agent"].startswith("csp-guard/")
        assert uuid.UUID(headers["MS-RequestId"])
    assert uuid.UUID(calls[0]["headers"]["MS-CorrelationId"]) and uuid.UUID(calls[1]["headers"]["MS-CorrelationId"])
    assert calls[2]["headers"]["MS-CorrelationId"] == "run-42"
    assert len({c["headers"]["MS-RequestId"] for c in calls}) == 3


def test_the_locale_and_user_agent_are_the_clients_own_when_given(pc_sandbox):
    customer = a_customer(pc_sandbox)
    client = PartnerCenterClient(pc_sandbox.url, StaticTokenProvider(SANDBOX_TOKEN), locale="en-US",
                                 user_agent="csp-guard-test/1")
    client.get_customer(customer)
    headers = sandbox_calls(pc_sandbox)[0]["headers"]
    assert (headers["X-Locale"], headers["User-Agent"]) == ("en-US", "csp-guard-test/1")


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


def test_a_call_without_a_correlation_id_gets_a_new_one_kept_across_its_retries(pc_sandbox, pc_client):
    customer = a_customer(pc_sandbox)
    fault(pc_sandbox, path="sub-0$", status=503, times=1)
    pc_client.get_subscription(customer, "sub-0")
    pc_client.get_subscription(customer, "sub-0")
    correlations = [c["headers"]["MS-CorrelationId"] for c in sandbox_calls(pc_sandbox)]
    assert correlations[0] == correlations[1] != correlations[2]


def test_the_token_never_appears_in_the_clients_logs(pc_sandbox, pc_client, caplog):
    customer = a_customer(pc_sandbox)
    fault(pc_sandbox, path="sub-0$", status=503, times=1)
    with caplog.at_level("DEBUG", logger="csp_guard.partner_center"):
        pc_client.get_subscription(customer, "sub-0", correlation_id="run-log")
    assert SANDBOX_TOKEN not in caplog.text
    infos = [r for r in caplog.records if r.levelname == "INFO"]
    assert [getattr(r, "http_status", None) for r in infos] == [503, 200]
    assert {getattr(r, "ms_correlation_id", None) for r in infos} == {"run-log"}
    assert len({getattr(r, "ms_request_id", None) for r in infos}) == 1
    assert all(isinstance(getattr(r, "duration_ms", None), float) for r in infos)


# --- retries ---

def test_throttling_waits_exactly_the_retry_after_it_was_given_then_succeeds(pc_sandbox, pc_client, pc_sleeps):
    customer = a_customer(pc_sandbox)
    fault(pc_sandbox, path="sub-0$", status=429, retry_after="7", times=1)
    assert pc_client.get_subscription(customer, "sub-0").id == "sub-0"
    assert pc_sleeps.sleeps == [7.0]
    assert len(sandbox_calls(pc_sandbox)) == 2


def test_a_retry_after_longer_than_backoff_max_is_waited_only_backoff_max(pc_sandbox, pc_client, pc_sleeps):
    customer = a_customer(pc_sandbox)
    fault(pc_sandbox, path="sub-0$", status=503, retry_after="3600", times=1)
    assert pc_client.get_subscription(customer, "sub-0").status == "active"
    assert pc_sleeps.sleeps == [pc_client.retry.backoff_max]


def test_three_server_errors_then_success_succeeds_on_the_fourth_attempt(pc_sandbox, pc_client, pc_sleeps):
    customer = a_customer(pc_sandbox)
    fault(pc_sandbox, path="sub-0$", status=500, times=3)
    assert pc_client.get_subscription(customer, "sub-0").status == "active"
    assert len(sandbox_calls(pc_sandbox)) == 4
    assert len(pc_sleeps.sleeps) == 3
    assert all(0 < s <= pc_client.retry.backoff_max for s in pc_sleeps.sleeps)


def test_a_persistent_server_error_exhausts_the_retries_with_the_request_id_and_last_status(
        pc_sandbox, pc_client, pc_sleeps):
    customer = a_customer(pc_sandbox)
    fault(pc_sandbox, path="sub-0$", status=500, times=-1)  # a negative count never runs out
    with pytest.raises(RetriesExhaustedError, match="after 6 attempt") as caught:
        pc_client.get_subscription(customer, "sub-0")
    calls = sandbox_calls(pc_sandbox)
    assert len(calls) == 1 + pc_client.retry.total == caught.value.attempts
    assert caught.value.status == 500 and caught.value.code == "500"
    assert caught.value.request_id == calls[0]["headers"]["MS-RequestId"]
    assert caught.value.correlation_id == calls[0]["headers"]["MS-CorrelationId"]
    assert caught.value.last_exception is None
    assert len(pc_sleeps.sleeps) == pc_client.retry.total


def test_the_overall_time_budget_stops_retrying_before_a_wait_that_would_exceed_it(pc_sandbox, pc_sleeps):
    customer = a_customer(pc_sandbox)
    client = PartnerCenterClient(pc_sandbox.url, StaticTokenProvider(SANDBOX_TOKEN), sleep=pc_sleeps,
                                 retry=RetryPolicy(timeout=1, backoff_factor=10))
    fault(pc_sandbox, path="sub-0$", status=503, times=-1)
    with pytest.raises(RetriesExhaustedError, match="after 1 attempt") as caught:
        client.get_subscription(customer, "sub-0")
    assert caught.value.status == 503
    assert len(sandbox_calls(pc_sandbox)) == 1
    assert pc_sleeps.sleeps == []


def test_a_retry_after_beyond_the_remaining_budget_is_not_waited_for(pc_sandbox, pc_sleeps):
    customer = a_customer(pc_sandbox)
    client = PartnerCenterClient(pc_sandbox.url, StaticTokenProvider(SANDBOX_TOKEN), sleep=pc_sleeps,
                                 retry=RetryPolicy(timeout=60, backoff_max=600))
    fault(pc_sandbox, path="sub-0$", status=429, retry_after="3600", times=1)
    with pytest.raises(RetriesExhaustedError) as caught:
        client.get_subscription(customer, "sub-0")
    assert caught.value.status == 429 and pc_sleeps.sleeps == []


def test_a_read_timeout_is_retried_with_the_same_request_id(pc_sandbox, pc_sleeps):
    customer = a_customer(pc_sandbox)
    client = PartnerCenterClient(pc_sandbox.url, StaticTokenProvider(SANDBOX_TOKEN), sleep=pc_sleeps,
                                 retry=RetryPolicy(read_timeout=0.2))
    fault(pc_sandbox, path="sub-0$", delay_ms=600, times=1)
    assert client.get_subscription(customer, "sub-0").id == "sub-0"
    calls = sandbox_calls(pc_sandbox)
    assert len(calls) == 2 and len(pc_sleeps.sleeps) == 1
    assert calls[0]["headers"]["MS-RequestId"] == calls[1]["headers"]["MS-RequestId"]


def test_a_service_request_post_retried_after_a_read_timeout_creates_one_request(pc_sandbox, pc_sleeps):
    client = PartnerCenterClient(pc_sandbox.url, StaticTokenProvider(SANDBOX_TOKEN), sleep=pc_sleeps,
                                 retry=RetryPolicy(read_timeout=0.2))
    fault(pc_sandbox, path="^/v1/servicerequests/zh-CN$", method="POST", delay_ms=600, times=1)
    created = client.create_service_request(title="疑似挖矿", description="d", severity="Critical",
                                            support_topic_id=FRAUD_TOPIC)
    posts = sandbox_calls(pc_sandbox, method="POST")
    assert len(posts) == 2 and posts[0]["headers"]["MS-RequestId"] == posts[1]["headers"]["MS-RequestId"]
    assert [sr.id for sr in client.list_service_requests()] == [created.value.id]


def test_an_unreachable_partner_center_exhausts_the_retries_keeping_the_connection_error(pc_sleeps):
    client = PartnerCenterClient("http://127.0.0.1:9", StaticTokenProvider(SANDBOX_TOKEN), sleep=pc_sleeps,
                                 retry=RetryPolicy(total=2, connect_timeout=1))
    with pytest.raises(RetriesExhaustedError, match="after 3 attempt") as caught:
        client.get_customer(str(uuid.uuid4()))
    assert caught.value.status is None
    assert isinstance(caught.value.last_exception, requests.ConnectionError)
    assert len(pc_sleeps.sleeps) == 2


# --- authentication ---

def test_a_blank_bearer_token_is_refused_with_401_and_not_retried(pc_sandbox, pc_sleeps):
    customer = a_customer(pc_sandbox)
    client = PartnerCenterClient(pc_sandbox.url, BlankTokens(), sleep=pc_sleeps)
    with pytest.raises(AuthenticationError, match="401") as caught:
        client.get_customer(customer)
    assert caught.value.status == 401 and caught.value.request_id
    assert len(sandbox_calls(pc_sandbox)) == 1 and pc_sleeps.sleeps == []


def test_an_injected_403_is_raised_at_once_as_an_authentication_error(pc_sandbox, pc_client, pc_sleeps):
    customer = a_customer(pc_sandbox)
    fault(pc_sandbox, path="sub-0$", status=403, times=-1)
    with pytest.raises(AuthenticationError):
        pc_client.get_subscription(customer, "sub-0")
    assert len(sandbox_calls(pc_sandbox)) == 1 and pc_sleeps.sleeps == []


def test_a_token_provider_that_fails_is_an_authentication_error_before_any_call(pc_sandbox):
    class NoCredentials:
        def get_token(self) -> str:
            raise ValueError("no Partner Center credentials")

    client = PartnerCenterClient(pc_sandbox.url, NoCredentials())
    with pytest.raises(AuthenticationError, match="no Partner Center credentials"):
        client.get_customer("anyone")
    assert sandbox_calls(pc_sandbox) == []


def test_a_static_token_is_refused_for_a_partner_center_that_is_not_loopback():
    with pytest.raises(ValueError, match="loopback"):
        PartnerCenterClient("https://partner.partnercenterapi.microsoftonline.cn", StaticTokenProvider("t"))
