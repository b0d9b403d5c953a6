"""The registered functions, read once per module as the Functions worker reads them."""

import pytest

from lib.devhost.registrations import read_registrations
from lib.web.api_catalog import OPERATIONS


@pytest.fixture
def functions(registered):
    return registered


def http_spec(function):
    spec = function.get_trigger().get_dict_repr()
    return {
        "route": spec["route"],
        "methods": sorted(getattr(m, "value", m) for m in spec["methods"]),
        "authLevel": getattr(spec["authLevel"], "value", spec["authLevel"]),
    }


def test_http_health_and_openapi_are_anonymous_gets(functions):
    assert http_spec(functions["health"]) == {"route": "health", "methods": ["GET"], "authLevel": "anonymous"}
    assert http_spec(functions["openapi"]) == {"route": "openapi.json", "methods": ["GET"],
                                               "authLevel": "anonymous"}


def test_http_unknown_routes_fall_to_an_anonymous_catch_all(functions):
    assert http_spec(functions["not_found"])["route"] == "{*path}"


def test_http_openapi_catalog_lists_exactly_the_registered_routes(functions):
    registered = set()
    for function in functions.values():
        spec = function.get_trigger().get_dict_repr()
        if spec["type"] != "httpTrigger" or spec["route"] == "{*path}":
            continue
        for method in spec["methods"]:
            registered.add((getattr(method, "value", method), spec["route"]))
    documented = {(op.method, op.route) for op in OPERATIONS}
    assert documented == registered


def test_http_registrations_are_readable_by_the_development_host(functions):
    registrations = read_registrations(list(functions.values()), {
        "SCAN_SCHEDULE": "0 0 1 * * *", "FRAUD_POLL_SCHEDULE": "0 */15 * * * *",
        "RECONCILE_SCHEDULE": "0 30 * * * *", "SERVICE_REQUESTS_QUEUE": "service-requests",
        "FULL_SWEEP_SCHEDULE": "0 0 2 * * 0"})
    assert {f.name for f in registrations.http} >= {"health", "openapi", "not_found"}
