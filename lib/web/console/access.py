"""Who is at the console, and whether a write from the browser is really theirs.

- In Azure, App Service Authentication (Easy Auth) signs the operator in with Entra ID and sends
  `X-MS-CLIENT-PRINCIPAL`; the operator needs a role from `OPERATOR_ROLES` (as on every internal route). The console
  routes are anonymous to the host for this reason: a browser never holds a function key.
- Locally (no Easy Auth, `CSPGUARD_FUNCTION_KEY` set) the development key opens it once, by `?code=`, the login
  form, or the `x-functions-key` header of a script; a signed session cookie keeps the browser signed in.
- Without either, the console is closed.

Writes are CSRF-safe: a browser's POST must carry the synchronizer token of its session (or, under Easy Auth, the
double-submit token of its cookie) and, when the browser says where it comes from, come from this origin.
A script that sends the key in a header is not a browser riding on a cookie, so it needs no token.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from lib.http_basics import header
from lib.web.console.session import CSRF_COOKIE, SESSION_COOKIE, cookies, read_session, session_key
from lib.web.operator_auth import Actor, operator_from_headers
from lib.web.problems import ProblemError


class ConsoleAccessError(Exception):
    status = 403
    problem = "forbidden"


class NotSignedIn(ConsoleAccessError):
    """No session: the browser is shown the login form."""

    status, problem = 401, "unauthenticated"


class ConsoleClosed(ConsoleAccessError):
    """Neither Easy Auth nor a development key: nobody can open the console."""

    problem = "console-closed"


class NotAnOperator(ConsoleAccessError):
    """Signed in with Entra ID, but without an operator role (or the principal is unreadable)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class CrossSiteRefused(ConsoleAccessError):
    """A write without this session's token, or from another origin."""

    problem = "csrf-refused"


@dataclass(frozen=True)
class Visitor:
    actor: Actor
    csrf: str  # the token a form must send back ("" for a script using the key header)
    via: str  # entra-id | session | key-header
    csrf_cookie_missing: bool = False  # Easy Auth: the double-submit cookie must be set on this response


def key_matches(presented: str | None, function_key: str | None) -> bool:
    return bool(presented) and bool(function_key) and hmac.compare_digest(
        str(presented).encode(), str(function_key).encode())


def identify(headers: Mapping[str, str], *, easy_auth: bool, operator_roles: tuple[str, ...],
             function_key: str | None, now: datetime) -> Visitor:
    jar = cookies(headers)
    if easy_auth:
        try:
            actor = operator_from_headers(headers, operator_roles, easy_auth=True)
        except ProblemError as exc:
            raise NotAnOperator(exc.detail, exc.status) from None
        token = jar.get(CSRF_COOKIE, "")
        return Visitor(actor, token or secrets.token_urlsafe(24), "entra-id", csrf_cookie_missing=not token)
    if not function_key:
        raise ConsoleClosed("the console needs App Service Authentication (Entra ID) in Azure, or "
                            "CSPGUARD_FUNCTION_KEY on a development machine")
    if key_matches(header(headers, "x-functions-key"), function_key):
        name = header(headers, "x-cspguard-actor") or "function-key"
        return Visitor(Actor(f"key:{name}"[:128]), "", "key-header")
    session = read_session(jar.get(SESSION_COOKIE), session_key(function_key), now)
    if session is None:
        raise NotSignedIn("sign in with the development key")
    return Visitor(Actor(session.actor, via="console-session"), session.csrf, "session")


def check_write(visitor: Visitor, form_token: str | None, headers: Mapping[str, str]) -> None:
    if visitor.via == "key-header":
        return
    fetch_site = header(headers, "sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        raise CrossSiteRefused(f"a {fetch_site} request may not write")
    if not same_origin_or_absent(headers):
        raise CrossSiteRefused("the request comes from another origin")
    if not visitor.csrf or not form_token or not hmac.compare_digest(form_token.encode(), visitor.csrf.encode()):
        raise CrossSiteRefused("the form's token does not match this session; reload the page and try again")


def same_origin_or_absent(headers: Mapping[str, str]) -> bool:
    origin = header(headers, "origin")
    if origin == "null":
        # A browser hides the origin under some referrer policies; then only its own word that the request is
        # same-origin will do.
        return header(headers, "sec-fetch-site") == "same-origin"
    return origin is None or _same_origin(origin, headers)


def _same_origin(origin: str, headers: Mapping[str, str]) -> bool:
    try:
        host = urlsplit(origin).netloc.lower()
    except ValueError:
        return False
    # Behind App Service's front ends the public host may arrive in a forwarding header rather than Host.
    hosts = {(header(headers, name) or "").lower() for name in ("host", "x-forwarded-host", "x-original-host")}
    return bool(host) and host in hosts
