"""The console's functions: anonymous to the host (a browser holds no function key), each under console/ with a
route no other function can answer."""

from __future__ import annotations


def http_routes(registered):
    for name, function in registered.items():
        spec = function.get_trigger().get_dict_repr()
        if spec["type"] == "httpTrigger":
            yield name, spec


def test_http_console_routes_are_anonymous_and_only_under_console(registered):
    console = {name: spec for name, spec in http_routes(registered) if name.startswith("console_")}
    served = {(getattr(spec["methods"][0], "value", spec["methods"][0]), spec["route"]) for spec in console.values()}
    assert served == {
        ("GET", "console"), ("GET", "console/customers/{customer_id}"),
        ("POST", "console/customers/{customer_id}/hold"),
        ("GET", "console/cases"), ("POST", "console/cases/{customer_id}/{case_id}/resolve"),
        ("GET", "console/unmatched"), ("POST", "console/unmatched/{provider}/{event_id}/assign"),
        ("GET", "console/policy"), ("GET", "console/login"), ("POST", "console/login"), ("POST", "console/logout"),
        ("GET", "console/static/{asset}"), ("GET", "console/proposals"), ("GET", "console/runs"),
        ("POST", "console/proposals/{customer_id}/{proposal_id}/decide")}
    assert all(len(spec["methods"]) == 1 for spec in console.values())
    assert {getattr(spec["authLevel"], "value", spec["authLevel"]) for spec in console.values()} == {"anonymous"}
    others = [spec["route"] for name, spec in http_routes(registered) if not name.startswith("console_")]
    assert not [route for route in others if route == "console" or route.startswith("console/")]
