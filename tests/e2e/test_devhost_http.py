"""The app hosted by `csp-guard serve` in a subprocess, called over HTTP."""

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from lib.azurite_process import connection_string, free_port

pytestmark = pytest.mark.e2e


def test_health_answers_200_with_storage_ok_over_http(devhost):
    response = requests.get(f"{devhost.url}/api/health", timeout=10)
    assert response.status_code == 200
    assert set(response.json()) == {"status", "components"}
    assert response.json()["components"]["storage"] == "ok"
    assert response.headers["x-correlation-id"]


def test_status_needs_the_key_and_gives_the_details(devhost):
    assert requests.get(f"{devhost.url}/api/status", timeout=10).status_code == 401
    response = requests.get(f"{devhost.url}/api/status", headers={"x-functions-key": devhost.function_key},
                            timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert body["version"] and body["timers"] == {"delinquency_scan": None, "fraud_events_poll": None,
                                                  "reconcile": None}
    assert body["components"]["storage"]["status"] == "ok" and "latency_ms" in body["components"]["storage"]


def test_openapi_describes_the_app(devhost):
    document = requests.get(f"{devhost.url}/api/openapi.json", timeout=10).json()
    assert document["openapi"] == "3.1.0"
    assert "/api/health" in document["paths"]


def test_an_unknown_route_gets_the_hosts_bare_404(devhost):
    # No catch-all function exists, so, as on the Functions host, nothing answers but the host: 404, no body.
    response = requests.post(f"{devhost.url}/api/no/such/thing", timeout=10)
    assert response.status_code == 404
    assert response.content == b"" and "x-correlation-id" not in response.headers


def test_a_known_route_with_another_method_is_a_404_too(devhost):
    response = requests.delete(f"{devhost.url}/api/health", timeout=10)
    assert response.status_code == 404 and response.content == b""


def test_paths_outside_the_route_prefix_are_404(devhost):
    assert requests.get(f"{devhost.url}/health", timeout=10).status_code == 404


def test_serve_with_storage_down_stops_with_one_clear_line(tmp_path):
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "AzureWebJobsStorage": connection_string("127.0.0.1", port, port, port)}
    cli = Path(sys.executable).with_name("csp-guard")
    result = subprocess.run([str(cli), "serve", "--port", str(free_port())], env=env, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("csp-guard: storage is not reachable") and "Traceback" not in result.stderr


def test_serve_with_a_bad_setting_names_it(tmp_path):
    cli = Path(sys.executable).with_name("csp-guard")
    result = subprocess.run([str(cli), "serve"], env={"ENFORCEMENT_MODE": "sometimes"}, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert result.stderr.strip() == ("csp-guard: setting ENFORCEMENT_MODE: 'sometimes' is not one of shadow, enforce, "
                                     "review")


def test_serve_with_a_policy_that_does_not_validate_names_the_problem_in_one_line(tmp_path):
    policy = tmp_path / "collections.toml"
    policy.write_text('timezone = "Mars/Olympus"\nminimum_overdue = 1000\n', encoding="utf-8")
    cli = Path(sys.executable).with_name("csp-guard")
    result = subprocess.run([str(cli), "serve", "--port", str(free_port())], capture_output=True, text=True,
                            timeout=60, check=False, env={"PATH": "/usr/bin:/bin", "COLLECTIONS_POLICY": str(policy)})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(f"csp-guard: policy {policy}:1: timezone")
