"""GET /api/health (anonymous, words only) and GET /api/status (operators, the details), through the registered
functions, against Azurite, the sandbox, and storage that is down."""

import json

import azure.functions as func
import pytest

from lib.app_context import reset_context
from lib.azurite_process import connection_string, free_port
from lib.store.runs import RunLog

pytestmark = pytest.mark.integration
WORDS = {"ok", "degraded", "down"}


def call_health():
    from functions.health import health

    return health(func.HttpRequest("GET", "http://localhost/api/health", body=b""))


def call_status():
    from functions.health import status

    return status(func.HttpRequest("GET", "http://localhost/api/status", body=b""))


def assert_words_only(body):
    assert set(body) == {"status", "components"}
    assert body["status"] in WORDS and set(body["components"].values()) <= WORDS


@pytest.fixture(autouse=True)
def fresh_partner_center_probe():
    from lib.services import health_check

    health_check._PC_CACHE.clear()
    yield
    health_check._PC_CACHE.clear()


def test_health_is_ok_for_every_component_and_says_nothing_else(app_env, tables):
    response = call_health()
    body = json.loads(response.get_body())
    assert response.status_code == 200
    assert body == {"status": "ok", "components": {"policy": "ok", "storage": "ok", "timers": "ok",
                                                   "service_requests_queue": "ok", "notices_queue": "ok",
                                                   "due_customers_queue": "ok", "partner_center": "ok"}}


def test_health_never_reads_the_subscriptions_table(app_env, tables, monkeypatch):
    from lib.store.subscriptions import Subscriptions

    def refuse(*args, **kwargs):
        raise AssertionError("health scanned the subscriptions table")

    monkeypatch.setattr(Subscriptions, "all", refuse)
    assert call_health().status_code == 200
    from lib.app_context import get_context
    from lib.services.health_check import check_status

    with pytest.raises(AssertionError, match="scanned"):
        check_status(get_context().settings)  # the operators' report does read it: the guard above is live


def test_partner_center_unreachable_is_a_word_in_health_and_the_error_in_status(app_env, tables, pc_sandbox):
    import requests

    requests.post(f"{pc_sandbox.url}/_sandbox/faults", json={"path": "^/v1/customers$", "status": 503, "times": -1},
                  timeout=10)
    body = json.loads(call_health().get_body())
    assert_words_only(body)
    assert body["status"] == "degraded" and body["components"]["partner_center"] == "degraded"
    details = json.loads(call_status().get_body())
    assert details["components"]["partner_center"]["status"] == "degraded"
    assert "503" in details["components"]["partner_center"]["error"]


def test_a_failed_timer_degrades_health_without_its_errors_and_status_shows_them(app_env, tables):
    runs = RunLog(tables.table("runs"))
    first = runs.start("delinquency_scan", correlation_id="c1")
    runs.finish("delinquency_scan", first, status="succeeded", counts={"accounts": 3})
    second = runs.start("delinquency_scan", correlation_id="c2")
    secret_text = "customer 1b2c3d4e-0000-4000-8000-000000000001: Partner Center said 403 Forbidden"
    runs.finish("delinquency_scan", second, status="failed", counts={"accounts": 7}, errors=[secret_text])
    response = call_health()
    assert_words_only(json.loads(response.get_body()))
    assert json.loads(response.get_body())["components"]["timers"] == "degraded"
    assert b"1b2c3d4e" not in response.get_body() and b"403" not in response.get_body()
    details = json.loads(call_status().get_body())
    assert details["timers"]["delinquency_scan"]["run_id"] == second
    assert details["timers"]["delinquency_scan"]["errors"] == [secret_text]
    assert details["timers"]["delinquency_scan"]["counts"] == {"accounts": 7}
    assert details["components"]["timers"] == {"status": "degraded", "failed_or_stopped": ["delinquency_scan"]}


def test_a_broken_policy_file_is_policy_down(app_env, tables, tmp_path, monkeypatch):
    broken = tmp_path / "collections.toml"
    broken.write_text('timezone = "Asia/Shanghai"\nminimum_overdue = "lots"\n', encoding="utf-8")
    monkeypatch.setenv("COLLECTIONS_POLICY", str(broken))
    reset_context()
    response = call_health()
    body = json.loads(response.get_body())
    assert response.status_code == 200 and body["components"]["policy"] == "down" and body["status"] == "degraded"
    details = json.loads(call_status().get_body())
    assert details["components"]["policy"]["status"] == "down"
    assert str(broken) in details["components"]["policy"]["error"]


def test_status_needs_the_operator_and_carries_the_version(app_env, tables):
    body = json.loads(call_status().get_body())
    assert body["version"] and body["components"]["suspensions"]["status"] == "ok"
    assert body["components"]["service_requests_queue"]["status"] == "ok"


def test_health_is_503_down_when_storage_is_down(monkeypatch):
    port = free_port()
    monkeypatch.setenv("AzureWebJobsStorage", connection_string("127.0.0.1", port, port, port))
    reset_context()
    response = call_health()
    body = json.loads(response.get_body())
    assert response.status_code == 503
    assert body == {"status": "down", "components": {"policy": "ok", "storage": "down"}}
    reset_context()
