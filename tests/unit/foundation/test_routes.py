import pytest

from lib.devhost.routes import RouteTemplateError, best_match, parse_template


def templates(*routes):
    return [parse_template(r) for r in routes]


def test_route_parameters_are_extracted_and_unquoted():
    t = parse_template("customers/{customer_id}/suspend")
    assert t.match("/customers/abc%20d/suspend") == {"customer_id": "abc d"}
    assert t.match("/customers/abc/restore") is None
    assert t.match("/customers/abc/suspend/extra") is None


def test_literal_beats_parameter_beats_catch_all():
    routes = templates("{*path}", "customers/{customer_id}", "customers/export", "cases/{customer_id}/{case_id}")
    assert best_match(routes, "/customers/export")[0].template == "customers/export"
    assert best_match(routes, "/customers/c1")[0].template == "customers/{customer_id}"
    found = best_match(routes, "/nothing/here")
    assert found[0].template == "{*path}" and found[1] == {"path": "nothing/here"}


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
