"""GET /api/health through the registered function, against Azurite and against storage that is down."""

import json

import azure.functions as func
import pytest

from lib.app_context import reset_context
from lib.azurite_process import connection_string, free_port
from lib.store.runs import RunLog

pytestmark = pytest.mark.integration


def call_health():
    from functions.health import health

    return health(func.HttpRequest("GET", "http://localhost/api/health", body=b""))


def test_health_is_ok_with_a_real_storage_round_trip(app_env, tables):
    response = call_health()
    body = json.loads(response.get_body())
    assert response.status_code == 200
    assert body["status"] == "ok" and body["checks"]["storage"]["status"] == "ok"
    assert body["timers"] == {"delinquency_scan": None, "fraud_events_poll": None, "reconcile": None}
    assert body["version"]
    assert body["checks"]["partner_center"]["status"] == "ok"


def test_health_degrades_when_partner_center_is_unreachable(app_env, tables, pc_sandbox):
    import requests

    from lib.services import health_check

    health_check._PC_CACHE.clear()
    requests.post(f"{pc_sandbox.url}/_sandbox/faults", json={"path": "^/v1/customers$", "status": 503, "times": -1},
                  timeout=10)
    body = json.loads(call_health().get_body())
    assert body["status"] == "degraded" and body["checks"]["partner_center"]["status"] == "unreachable"
    health_check._PC_CACHE.clear()


def test_health_shows_each_timers_last_run_and_degrades_on_a_failed_one(app_env, tables):
    runs = RunLog(tables.table("runs"))
    first = runs.start("delinquency_scan", correlation_id="c1")
    runs.finish("delinquency_scan", first, status="succeeded", counts={"accounts": 3})
    second = runs.start("delinquency_scan", correlation_id="c2")
    runs.finish("delinquency_scan", second, status="failed", counts={}, errors=["boom"])
    body = json.loads(call_health().get_body())
    assert body["timers"]["delinquency_scan"]["run_id"] == second
    assert body["timers"]["delinquency_scan"]["errors"] == ["boom"]
    assert body["status"] == "degraded"


def test_health_is_503_naming_storage_when_storage_is_down(monkeypatch):
    port = free_port()
    monkeypatch.setenv("AzureWebJobsStorage", connection_string("127.0.0.1", port, port, port))
    reset_context()
    response = call_health()
    body = json.loads(response.get_body())
    assert response.status_code == 503
    assert body["status"] == "unhealthy" and body["checks"]["storage"]["status"] == "down"
    reset_context()
