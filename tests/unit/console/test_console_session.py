"""Who is at the console: the signed session, Easy Auth's principal, the development key, and CSRF checks."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from lib.web.console.access import (
    ConsoleClosed,
    CrossSiteRefused,
    NotAnOperator,
    NotSignedIn,
    Visitor,
    check_write,
    identify,
)
from lib.web.console.session import new_session, read_session, session_key, set_cookie, sign_session
from lib.web.console.sign_in import safe_next
from lib.web.operator_auth import Actor

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
KEY = "local-dev-key"
ROLES = ("CspGuard.Operator",)


def principal(*roles: str, name: str = "li.lei@contoso.cn") -> str:
    claims = [{"typ": "roles", "val": r} for r in roles] + [{"typ": "name", "val": name}]
    return base64.b64encode(json.dumps({"claims": claims, "name_typ": "name", "role_typ": "roles"}).encode()).decode()


def cookie_header(session_value: str) -> dict[str, str]:
    return {"Cookie": f"cspguard_session={session_value}"}


def test_a_signed_session_reads_back_and_holds_no_key():
    signed = sign_session(new_session("key:alice", NOW), session_key(KEY))
    session = read_session(signed, session_key(KEY), NOW + timedelta(hours=1))
    assert session is not None and session.actor == "key:alice" and len(session.csrf) >= 24
    assert KEY not in signed and KEY not in base64.urlsafe_b64decode(signed.split(".")[0] + "==").decode()


@pytest.mark.parametrize("tamper", [
    lambda s: s[:-2] + ("A" if s[-2] != "A" else "B") + s[-1],  # signature changed
    lambda s: base64.urlsafe_b64encode(b'{"a":"key:mallory","x":"t","e":9999999999}').decode().rstrip("=")
    + "." + s.split(".")[1],  # payload swapped
    lambda s: s.split(".")[0],  # signature missing
    lambda s: "",
])
def test_a_tampered_session_is_no_session(tamper):
    signed = sign_session(new_session("key:alice", NOW), session_key(KEY))
    assert read_session(tamper(signed), session_key(KEY), NOW) is None


def test_a_session_expires_and_a_new_key_voids_old_sessions():
    signed = sign_session(new_session("key:alice", NOW), session_key(KEY))
    assert read_session(signed, session_key(KEY), NOW + timedelta(hours=13)) is None
    assert read_session(signed, session_key("rotated-key"), NOW) is None


def test_locally_the_session_cookie_or_the_key_header_identifies_the_operator():
    signed = sign_session(new_session("key:alice", NOW), session_key(KEY))
    visitor = identify(cookie_header(signed), easy_auth=False, operator_roles=ROLES, function_key=KEY, now=NOW)
    assert visitor.actor.name == "key:alice" and visitor.via == "session" and visitor.csrf
    script = identify({"x-functions-key": KEY}, easy_auth=False, operator_roles=ROLES, function_key=KEY, now=NOW)
    assert script.via == "key-header"
    with pytest.raises(NotSignedIn):
        identify({"x-functions-key": "wrong"}, easy_auth=False, operator_roles=ROLES, function_key=KEY, now=NOW)


def test_without_easy_auth_or_a_key_the_console_is_closed():
    with pytest.raises(ConsoleClosed):
        identify({}, easy_auth=False, operator_roles=ROLES, function_key=None, now=NOW)


def test_under_easy_auth_the_principal_needs_an_operator_role_and_a_key_opens_nothing():
    ok = identify({"X-MS-CLIENT-PRINCIPAL": principal("CspGuard.Operator")}, easy_auth=True, operator_roles=ROLES,
                  function_key=KEY, now=NOW)
    assert ok.actor.name == "li.lei@contoso.cn" and ok.via == "entra-id" and ok.csrf_cookie_missing
    with pytest.raises(NotAnOperator) as refused:
        identify({"X-MS-CLIENT-PRINCIPAL": principal("Reader")}, easy_auth=True, operator_roles=ROLES,
                 function_key=KEY, now=NOW)
    assert refused.value.status == 403
    with pytest.raises(NotAnOperator) as unauthenticated:
        identify({"x-functions-key": KEY}, easy_auth=True, operator_roles=ROLES, function_key=KEY, now=NOW)
    assert unauthenticated.value.status == 401
    kept = identify({"X-MS-CLIENT-PRINCIPAL": principal("CspGuard.Operator"), "Cookie": "cspguard_csrf=tok123"},
                    easy_auth=True, operator_roles=ROLES, function_key=None, now=NOW)
    assert kept.csrf == "tok123" and not kept.csrf_cookie_missing


SESSION = Visitor(Actor("key:alice"), "the-token", "session")


@pytest.mark.parametrize(("token", "headers"), [
    (None, {"Host": "127.0.0.1:7071"}),
    ("other", {"Host": "127.0.0.1:7071"}),
    ("the-token", {"Host": "127.0.0.1:7071", "Origin": "https://evil.example"}),
    ("the-token", {"Host": "127.0.0.1:7071", "Sec-Fetch-Site": "cross-site"}),
    ("the-token", {"Host": "127.0.0.1:7071", "Origin": "null"}),
])
def test_a_write_without_the_token_or_from_elsewhere_is_refused(token, headers):
    with pytest.raises(CrossSiteRefused):
        check_write(SESSION, token, headers)


@pytest.mark.parametrize("headers", [
    {"Host": "127.0.0.1:7071"},
    {"Host": "127.0.0.1:7071", "Origin": "http://127.0.0.1:7071", "Sec-Fetch-Site": "same-origin"},
    {"Host": "10.0.0.4", "X-Forwarded-Host": "cspguard.chinacloudsites.cn", "Origin": "https://cspguard.chinacloudsites.cn"},
    {"Host": "127.0.0.1:7071", "Origin": "null", "Sec-Fetch-Site": "same-origin"},
])
def test_a_write_with_the_token_from_this_origin_passes(headers):
    check_write(SESSION, "the-token", headers)


def test_a_script_with_the_key_header_needs_no_token():
    check_write(Visitor(Actor("key:ci"), "", "key-header"), None, {"Origin": "https://elsewhere.example"})


@pytest.mark.parametrize(("asked", "sent"), [
    ("/api/console/cases?status=open", "/api/console/cases?status=open"),
    ("https://evil.example/api/console", "/api/console"),
    ("//evil.example/api/console", "/api/console"),
    ("/api/health", "/api/console"),
    ("/api/console\\@evil.example", "/api/console"),
    (None, "/api/console"),
])
def test_after_sign_in_only_a_console_path_is_followed(asked, sent):
    assert safe_next(asked) == sent


def test_cookies_are_scoped_strict_and_http_only():
    cookie = set_cookie("cspguard_session", "v", secure=True, max_age=60)
    assert cookie == "cspguard_session=v; Path=/api/console; SameSite=Strict; HttpOnly; Secure; Max-Age=60"
