"""Every operator route in the OpenAPI catalog: refused without the key, and never a 5xx for bad input."""

import re

import pytest
import requests

from lib.web.api_catalog import OPERATIONS
from tests.fixtures.azurite import start_devhost

pytestmark = pytest.mark.e2e
OPERATOR = [op for op in OPERATIONS if op.auth == "operator"]


@pytest.fixture(scope="module")
def devhost(azurite, pc_sandbox_server):
    """One host for the module: these calls change nothing worth isolating."""
    import uuid

    env = {"AzureWebJobsStorage": azurite.connection_string, "CSPGUARD_TABLE_PREFIX": f"c{uuid.uuid4().hex[:10]}",
           "SERVICE_REQUESTS_QUEUE": f"sr-{uuid.uuid4().hex[:10]}", "PARTNER_CENTER_BASE_URL": pc_sandbox_server.url,
           "PARTNER_CENTER_STATIC_TOKEN": "sandbox-token", "ENFORCEMENT_MODE": "enforce"}
    running = start_devhost(env, "--no-timers", "--no-queues")
    yield running
    running.stop()


def path_of(route: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, route)


@pytest.mark.parametrize("op", OPERATOR, ids=lambda op: f"{op.method} {op.route}")
def test_operator_routes_need_the_function_key(devhost, op):
    response = requests.request(op.method, f"{devhost.url}/api/{path_of(op.route, 'x')}", timeout=30)
    assert response.status_code == 401


@pytest.mark.parametrize("op", [op for op in OPERATOR if "{" in op.route or op.request is not None],
                         ids=lambda op: f"{op.method} {op.route}")
def test_bad_ids_and_bodies_get_a_problem_never_a_server_error(devhost, op):
    headers = {"x-functions-key": devhost.function_key}
    url = f"{devhost.url}/api/{path_of(op.route, 'not-a-valid-id')}"
    for body in (None, b"{not json", b"[]", b"{}"):
        response = requests.request(op.method, url, data=body, headers=headers, timeout=30)
        assert 400 <= response.status_code < 500, (body, response.status_code, response.text[:200])
        assert response.headers["content-type"].startswith("application/problem+json")


def _answered_by_a_function(response: requests.Response) -> bool:
    # Every function's reply carries the correlation id its endpoint wrapper sets; the host's own 404 has none.
    return "x-correlation-id" in response.headers


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: f"{op.method} {op.route}")
def test_every_catalog_route_reaches_a_function_through_the_development_host(devhost, op):
    headers = {"x-functions-key": devhost.function_key}
    response = requests.request(op.method, f"{devhost.url}/api/{path_of(op.route, 'sample-1')}", headers=headers,
                                data=b"{}" if op.method in ("POST", "PUT") else None, timeout=30)
    assert _answered_by_a_function(response), (response.status_code, response.text[:200])
    assert response.status_code < 500, (response.status_code, response.text[:200])


@pytest.mark.parametrize("path", ["no/such/route", "customers", "customers/x/y/z/w", "webhooks", "scan/preview/x"])
def test_an_unknown_path_answers_the_hosts_404(devhost, path):
    response = requests.post(f"{devhost.url}/api/{path}", headers={"x-functions-key": devhost.function_key},
                             timeout=30)
    assert response.status_code == 404 and not _answered_by_a_function(response)


HUGE = "9" * 5000


@pytest.mark.parametrize("op", [op for op in OPERATIONS if op.request is not None],
                         ids=lambda op: f"{op.method} {op.route}")
def test_a_number_too_large_for_an_int_in_any_field_is_a_4xx_never_a_500(devhost, op):
    headers = {"x-functions-key": devhost.function_key, "content-type": "application/json"}
    fields = list((op.request or {}).get("properties", {})) or ["value"]
    url = f"{devhost.url}/api/{path_of(op.route, 'sample-1')}"
    for field in fields:
        response = requests.request(op.method, url, data=f'{{"{field}": {HUGE}}}', headers=headers, timeout=30)
        assert 400 <= response.status_code < 500, (field, response.status_code, response.text[:200])


@pytest.mark.parametrize("route", ["webhooks/standard", "webhooks/partner-center", "customers/sample-1/suspend"])
def test_a_body_over_the_limit_is_a_413_problem(devhost, route):
    response = requests.post(f"{devhost.url}/api/{route}", data=b"{" + b" " * 300_000 + b"}", timeout=30,
                             headers={"x-functions-key": devhost.function_key})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")


def test_the_host_refuses_a_body_over_its_own_limit_from_content_length_alone(devhost):
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(devhost.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        conn.sendall(b"POST /api/webhooks/standard HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n")
        reply = conn.recv(4096)  # answered without waiting for a byte of the body
    assert reply.startswith(b"HTTP/1.1 413")


def test_listing_cases_with_an_unknown_status_is_a_400_naming_it(devhost):
    headers = {"x-functions-key": devhost.function_key}
    response = requests.get(f"{devhost.url}/api/cases?status=nope", headers=headers, timeout=30)
    assert response.status_code == 400 and response.json()["field"] == "status"
    assert requests.get(f"{devhost.url}/api/cases?status=open", headers=headers, timeout=30).json() == {"items": []}
