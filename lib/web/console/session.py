"""The console's session cookie where the development key opens it, and the cookies a browser sends.

The cookie carries the actor, a CSRF token and an expiry, signed with HMAC-SHA256 under a key derived from the
function key, so it proves the key was presented without holding it. Signatures are compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.cookies import CookieError, SimpleCookie

from lib.http_basics import header

SESSION_COOKIE = "cspguard_session"
CSRF_COOKIE = "cspguard_csrf"  # double-submit token where Easy Auth signs the operator in
LANG_COOKIE = "cspguard_lang"
CONSOLE_PATH = "/api/console"  # the Functions host's route prefix (host.json) and the console's routes
COOKIE_PATH = CONSOLE_PATH
SESSION_LIFETIME = timedelta(hours=12)
_CONTEXT = b"csp-guard console session v1"


@dataclass(frozen=True)
class Session:
    actor: str
    csrf: str
    expires: datetime


def session_key(function_key: str) -> bytes:
    """A key for signing sessions only; the function key itself never leaves the server."""
    return hmac.new(function_key.encode(), _CONTEXT, hashlib.sha256).digest()


def new_session(actor: str, now: datetime) -> Session:
    return Session(actor, secrets.token_urlsafe(24), now + SESSION_LIFETIME)


def sign_session(session: Session, key: bytes) -> str:
    payload = _b64(json.dumps({"a": session.actor, "x": session.csrf, "e": int(session.expires.timestamp())},
                              separators=(",", ":")).encode())
    return f"{payload}.{_b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())}"


def read_session(value: str | None, key: bytes, now: datetime) -> Session | None:
    """The session the cookie holds, or None when it is missing, forged, malformed or expired."""
    if not value or value.count(".") != 1:
        return None
    payload, signature = value.split(".")
    expected = _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        session = Session(str(data["a"]), str(data["x"]), datetime.fromtimestamp(int(data["e"]), tz=now.tzinfo))
    except (ValueError, KeyError, TypeError):
        return None
    return session if session.expires > now else None


def cookies(headers: Mapping[str, str]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header(headers, "cookie") or "")
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def set_cookie(name: str, value: str, *, secure: bool, max_age: int | None = None, http_only: bool = True) -> str:
    """A Set-Cookie value scoped to the console: SameSite=Strict, HttpOnly, Secure over https."""
    parts = [f"{name}={value}", f"Path={COOKIE_PATH}", "SameSite=Strict"]
    if http_only:
        parts.append("HttpOnly")
    if secure:
        parts.append("Secure")
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    return "; ".join(parts)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
