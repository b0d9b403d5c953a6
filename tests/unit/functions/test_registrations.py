"""The registered functions, read once per module as the Functions worker reads them."""

import re

import pytest

from lib.devhost.registrations import read_registrations
from lib.devhost.routes import first_match, route_conflicts
from lib.web.api_catalog import OPERATIONS

SETTINGS = {"SCAN_SCHEDULE": "0 0 1 * * *", "FRAUD_POLL_SCHEDULE": "0 */15 * * * *",
            "RECONCILE_SCHEDULE": "0 30 * * * *", "SERVICE_REQUESTS_QUEUE": "service-requests",
            "NOTICES_QUEUE": "notices", "FULL_SWEEP_SCHEDULE": "0 0 2 * * 0", "DUE_CUSTOMERS_QUEUE": "due-customers"}


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


def test_http_there_is_no_catch_all_route(functions):
    routes = [function.get_trigger().get_dict_repr().get("route") or "" for function in functions.values()]
    assert not [route for route in routes if "{*" in route or "{**" in route]


def test_http_openapi_catalog_lists_exactly_the_registered_routes(functions):
    registered = set()
    for function in functions.values():
        spec = function.get_trigger().get_dict_repr()
        if spec["type"] != "httpTrigger":
            continue
        for method in spec["methods"]:
            registered.add((getattr(method, "value", method), spec["route"]))
    documented = {(op.method, op.served_by or op.route) for op in OPERATIONS}
    assert documented == registered


def test_http_every_catalog_url_reaches_the_function_serving_it_in_host_order(functions):
    http = read_registrations(list(functions.values()), SETTINGS).http
    by_route = {(method, f.route.template): f.name for f in http for method in f.methods}
    for op in OPERATIONS:
        path = "/" + re.sub(r"\{[^}]+\}", "sample-1", op.route)
        found = first_match(http, op.method, path)
        assert found is not None, f"{op.method} {path} reaches no function"
        assert found[0].name == by_route[(op.method, op.served_by or op.route)], (op.method, path)


def test_http_registrations_are_readable_by_the_development_host(functions):
    registrations = read_registrations(list(functions.values()), SETTINGS)
    assert {f.name for f in registrations.http} >= {"health", "openapi", "billing_webhook"}


def test_http_no_path_is_answerable_by_two_functions_and_each_answers_its_own_route(functions):
    """The host tries functions in name order and the first template+method match wins (DESIGN.md, Running it)."""
    http = read_registrations(list(functions.values()), SETTINGS).http
    assert route_conflicts(http) == []
