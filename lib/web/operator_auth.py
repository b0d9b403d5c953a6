"""Who is calling an internal route, and whether they may.

The function key is checked by the host before the code runs. Where App Service Authentication (Easy Auth) is on,
the platform also sends `X-MS-CLIENT-PRINCIPAL` (base64 JSON of the caller's claims); then the caller must hold one
of `OPERATOR_ROLES`, and their name is the actor in the audit trail.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

from lib.http_basics import header
from lib.web.problems import ProblemError

ROLE_CLAIM_TYPES = ("roles", "http://schemas.microsoft.com/ws/2008/06/identity/claims/role")


@dataclass(frozen=True)
class Actor:
    name: str
    roles: tuple[str, ...] = ()
    via: str = "function-key"


def easy_auth_enabled(env: Mapping[str, str] | None = None) -> bool:
    source = os.environ if env is None else env
    return source.get("WEBSITE_AUTH_ENABLED", "").lower() == "true"


def operator_from_headers(headers: Mapping[str, str], operator_roles: tuple[str, ...], *,
                          easy_auth: bool) -> Actor:
    encoded = header(headers, "x-ms-client-principal")
    if not easy_auth:
        # Only the function key guards the route; an optional header names the human behind a tool.
        name = header(headers, "x-cspguard-actor") or "function-key"
        return Actor(name=f"key:{name}"[:128])
    if not encoded:
        raise ProblemError(401, "sign in: this route needs an Entra ID principal", problem="unauthenticated")
    try:
        principal = json.loads(base64.b64decode(encoded, validate=False))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ProblemError(401, "X-MS-CLIENT-PRINCIPAL is not readable", problem="unauthenticated") from None
    claims = principal.get("claims") or []
    role_type = principal.get("role_typ")
    name_type = principal.get("name_typ")
    roles = tuple(c.get("val", "") for c in claims
                  if c.get("typ") in (*ROLE_CLAIM_TYPES, role_type) and c.get("val"))
    names = [c.get("val", "") for c in claims if c.get("typ") in (name_type, "name", "preferred_username")]
    name = next((n for n in names if n), None) or header(headers, "x-ms-client-principal-name") or "unknown"
    if not set(roles) & set(operator_roles):
        raise ProblemError(403, f"the caller lacks an operator role ({', '.join(operator_roles)})",
                           problem="forbidden")
    return Actor(name=name, roles=roles, via="entra-id")
