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
    assert response.json()["checks"]["storage"]["status"] == "ok"
    assert response.headers["x-correlation-id"]


def test_openapi_describes_the_app(devhost):
    document = requests.get(f"{devhost.url}/api/openapi.json", timeout=10).json()
    assert document["openapi"] == "3.1.0"
    assert "/api/health" in document["paths"]


def test_an_unknown_route_is_a_404_problem(devhost):
    response = requests.post(f"{devhost.url}/api/no/such/thing", timeout=10)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 404


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
