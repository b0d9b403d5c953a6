import azure.functions as func
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.devhost.registrations import HttpFunction, read_registrations
from lib.devhost.routes import RouteTemplateError, first_match, parse_template, route_conflicts, sample_paths


def http(name, route, *methods):
    return HttpFunction(name, parse_template(route), frozenset(methods or ("GET",)), "function", "req", print)


def test_route_parameters_are_extracted_and_unquoted():
    t = parse_template("customers/{customer_id}/suspend")
    assert t.match("/customers/abc%20d/suspend") == {"customer_id": "abc d"}
    assert t.match("/customers/abc/restore") is None
    assert t.match("/customers/abc/suspend/extra") is None


def test_the_first_function_by_name_wins_not_the_most_specific_template():
    # azure-functions-host issue 9876: `Details` (Products/{id}) answers /Products/List before `List` does.
    functions = [http("List", "products/list"), http("Details", "products/{id}")]
    assert first_match(functions, "GET", "/products/list")[0].name == "Details"
    assert first_match(functions, "GET", "/products/7") == (functions[1], {"id": "7"})


def test_function_names_are_ordered_ignoring_case():
    functions = [http("b_route", "{x}"), http("A_route", "{y}")]
    assert first_match(functions, "GET", "/v")[0].name == "A_route"


def test_a_catch_all_named_early_takes_every_path_after_it():
    functions = [http("not_found", "{*path}", "GET", "POST"), http("run_scan", "scan", "POST")]
    assert first_match(functions, "POST", "/scan") == (functions[0], {"path": "scan"})


def test_the_method_must_match_too_and_nothing_matching_is_none():
    functions = [http("get_case", "cases/{id}", "GET")]
    assert first_match(functions, "POST", "/cases/1") is None
    assert first_match(functions, "GET", "/nothing/here") is None


def test_overlapping_templates_are_reported_both_ways():
    functions = [http("billing_webhook", "webhooks/{provider}", "POST"),
                 http("partner_center_webhook", "webhooks/partner-center", "POST")]
    problems = route_conflicts(functions)
    assert "POST /webhooks/partner-center: answerable by billing_webhook, partner_center_webhook" in problems
    assert any(p.startswith("partner_center_webhook (POST webhooks/partner-center) is unreachable")
               for p in problems)


def test_a_catch_all_is_reported_against_every_route_it_shadows():
    functions = [http("not_found", "{*path}", "GET", "POST"), http("openapi", "openapi.json"),
                 http("health", "health")]
    problems = route_conflicts(functions)
    assert any(p.startswith("openapi (GET openapi.json) is unreachable") for p in problems)
    assert "GET /health: answerable by health, not_found" in problems


def test_templates_that_differ_by_method_or_length_do_not_conflict():
    functions = [http("get_customer", "customers/{customer_id}"),
                 http("suspend_customer", "customers/{customer_id}/suspend", "POST"),
                 http("get_case", "cases/{customer_id}/{case_id}"),
                 http("resolve_case", "cases/{customer_id}/{case_id}/resolve", "POST"),
                 http("run_scan", "scan", "POST"), http("preview_scan", "scan/preview")]
    assert route_conflicts(functions) == []


def test_every_constraint_gets_a_sample_so_a_shadowed_constrained_route_is_caught():
    functions = [http("any_item", "items/{id}"), http("item_by_guid", "items/{id:guid}"),
                 http("item_by_flag", "flags/{on:bool}"), http("flag_list", "flags/{name:alpha}")]
    problems = route_conflicts(functions)
    assert any(p.startswith("item_by_guid (GET items/{id:guid}) is unreachable") for p in problems)
    assert route_conflicts(functions[2:3]) == []


def test_a_constraint_keeps_templates_apart():
    assert route_conflicts([http("item", "items/{n:int}"), http("recent", "items/recent")]) == []


def test_the_checker_reads_a_function_apps_registrations():
    def not_found(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(status_code=404)

    def openapi(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("{}")

    app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
    app.route(route="{*path}", methods=["GET"])(not_found)
    app.route(route="openapi.json", methods=["GET"])(openapi)
    registrations = read_registrations(app.get_functions(), {})
    assert route_conflicts(registrations.http)


@given(st.lists(st.sampled_from(["a", "b", "{x}", "{y:int}", "7"]), min_size=1, max_size=3))
def test_every_sample_path_of_a_template_is_matched_by_it(segments):
    template = parse_template("/".join(segments))
    for path in sample_paths(template, ["a", "b", "7"]):
        assert template.match(path) is not None, path


def test_constraints_and_optional_segments():
    t = parse_template("items/{n:int}/{rest?}")
    assert t.match("/items/12") == {"n": "12"}
    assert t.match("/items/12/x") == {"n": "12", "rest": "x"}
    assert t.match("/items/twelve") is None


def test_literals_match_case_insensitively_like_aspnet_routing():
    assert parse_template("openapi.json").match("/OpenAPI.json") == {}


@pytest.mark.parametrize("bad", ["a/{b", "a/{*rest}/c", "a/{b:nope}", "a/x{b}"])
def test_malformed_templates_are_refused(bad):
    with pytest.raises(RouteTemplateError):
        parse_template(bad)
