"""Signing in to the console with the development key (locally; in Azure, Easy Auth signs operators in).

The key is checked once, in constant time, and traded for a signed session cookie; it is never stored, echoed or
put in a page. After signing in, the browser goes back where it was, but only ever to a console path.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

import azure.functions as func

from lib.http_basics import header
from lib.settings import get_settings
from lib.web.console import responses
from lib.web.console.access import ConsoleClosed, key_matches
from lib.web.console.i18n import LANGUAGES, translator
from lib.web.console.rendering import render
from lib.web.console.session import (
    CONSOLE_PATH,
    SESSION_COOKIE,
    new_session,
    session_key,
    set_cookie,
    sign_session,
)
from lib.web.operator_auth import easy_auth_enabled

BASE = CONSOLE_PATH


def sign_in(req: func.HttpRequest, presented: str | None, actor_name: str, next_path: str, lang: str,
            now: datetime) -> func.HttpResponse:
    """Checks the development key once and trades it for a session cookie; the key is not kept anywhere."""
    settings = get_settings()
    if easy_auth_enabled() or not settings.function_key:
        raise ConsoleClosed("sign-in with a key is for development machines; in Azure, Entra ID signs you in")
    if not key_matches(presented, settings.function_key):
        return login_page(req, lang, next_path, wrong=True)
    session = new_session(f"key:{actor_name or 'console'}"[:128], now)
    cookie = set_cookie(SESSION_COOKIE, sign_session(session, session_key(settings.function_key)),
                        secure=is_secure(req), max_age=int((session.expires - now).total_seconds()))
    return responses.redirect(safe_next(next_path), cookie=cookie)


def safe_next(path: str | None) -> str:
    """Only a console path: never an open redirect to another site."""
    if not path or not path.startswith(BASE) or path.startswith("//") or "\\" in path:
        return BASE
    parts = urlsplit(path)
    return path if not parts.scheme and not parts.netloc else BASE


def login_page(req: func.HttpRequest, lang: str, next_path: str, *, wrong: bool = False) -> func.HttpResponse:
    t = translator(lang)
    body = render("login.html", lang=lang, t=t, base=BASE, next_path=safe_next(next_path), wrong=wrong,
                  other_lang=next(x for x in LANGUAGES if x != lang))
    return responses.html(body, status=401)


def is_secure(req: func.HttpRequest) -> bool:
    return urlsplit(req.url).scheme == "https" or header(req.headers, "x-forwarded-proto") == "https"
