"""One console request: who asks, in which language, the form it sent; and the wrappers that turn a page or a
write into an HTTP answer, mapping every named failure to a page (for a browser) or problem+json (for a script).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import azure.functions as func

from lib.app_context import get_context
from lib.http_basics import header
from lib.services.console_at_risk import InvalidListQuery
from lib.settings import SettingsError, get_settings
from lib.structured_logging import invocation_context
from lib.web.console import responses
from lib.web.console.access import (
    ConsoleAccessError,
    ConsoleClosed,
    CrossSiteRefused,
    NotSignedIn,
    Visitor,
    check_write,
    identify,
    same_origin_or_absent,
)
from lib.web.console.i18n import LANGUAGES, choose_language, translator
from lib.web.console.rendering import render
from lib.web.console.session import (
    CSRF_COOKIE,
    LANG_COOKIE,
    SESSION_COOKIE,
    cookies,
    set_cookie,
)
from lib.web.console.sign_in import BASE, is_secure, login_page, sign_in
from lib.web.endpoint import problem_for
from lib.web.operator_auth import easy_auth_enabled
from lib.web.problems import ProblemError, problem_response

log = logging.getLogger("csp_guard.console")
MAX_FORM_BYTES = 64 * 1024
# The pages in the navigation, in order: (path under BASE, message key). A new page is one more entry.
NAV: list[tuple[str, str]] = [("", "nav.at_risk"), ("/cases", "nav.cases"), ("/unmatched", "nav.unmatched"),
                              ("/policy", "nav.policy"), ("/proposals", "nav.proposals"), ("/runs", "nav.runs")]


@dataclass
class Desk:
    req: func.HttpRequest
    visitor: Visitor
    lang: str
    now: datetime
    form: dict[str, str] = field(default_factory=dict)

    @property
    def t(self) -> Callable[[str], str]:
        return translator(self.lang)

    @property
    def fragment(self) -> bool:
        """htmx asks for the part of the page it swaps, not the whole page."""
        return header(self.req.headers, "hx-request") == "true"

    def page(self, template: str, *, status: int = 200, **context: Any) -> func.HttpResponse:
        body = render(template, **self._common(), **context)
        cookie = None
        if self.visitor.csrf_cookie_missing:
            cookie = set_cookie(CSRF_COOKIE, self.visitor.csrf, secure=is_secure(self.req))
        return responses.html(body, status=status, cookie=cookie)

    def _common(self) -> dict[str, Any]:
        path = _path(self.req.url)
        return {"lang": self.lang, "t": self.t, "base": BASE, "nav": NAV, "path": path,
                "other_lang": next(lang for lang in LANGUAGES if lang != self.lang),
                "actor": self.visitor.actor.name, "csrf": self.visitor.csrf,
                "can_sign_out": self.visitor.via == "session", "stage_label": self.stage_label,
                "label": self.label, "zone": get_context().policy.zone}

    def label(self, group: str, name: str) -> str:
        """A word of a known group (reason, write) in the page's language; a name it does not know, as it is."""
        try:
            return self.t(f"{group}.{name}")
        except KeyError:
            return name

    def stage_label(self, name: str) -> str:
        try:
            return self.t(f"stage.{name}")
        except KeyError:
            return name


Page = Callable[[Desk], func.HttpResponse]


def console_page(handler: Page) -> Callable[[func.HttpRequest], func.HttpResponse]:
    """A GET page: `?lang=` switches language, `?code=` signs in once; then the operator must be known."""

    def endpoint(req: func.HttpRequest) -> func.HttpResponse:
        def call(lang: str, now: datetime) -> func.HttpResponse:
            if "lang" in req.params:
                return _switch_language(req)
            if "code" in req.params:
                return _sign_in_with_code(req, lang, now)
            return handler(Desk(req, _visitor(req, now), lang, now))

        return _run(handler.__name__, req, call)

    return _named(endpoint, handler)


def console_write(handler: Page) -> Callable[[func.HttpRequest], func.HttpResponse]:
    """A POST from a form: the operator must be known and the request must carry this session's token."""

    def endpoint(req: func.HttpRequest) -> func.HttpResponse:
        def call(lang: str, now: datetime) -> func.HttpResponse:
            visitor = _visitor(req, now)
            form = read_form(req)
            check_write(visitor, form.get("csrf"), req.headers)
            return handler(Desk(req, visitor, lang, now, form))

        return _run(handler.__name__, req, call)

    return _named(endpoint, handler)


def read_form(req: func.HttpRequest) -> dict[str, str]:
    body = req.get_body() or b""
    if len(body) > MAX_FORM_BYTES:
        raise ProblemError(413, "the form is too large", problem="payload-too-large")
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
    except (UnicodeDecodeError, ValueError):
        raise ProblemError(400, "the form is not URL-encoded UTF-8", problem="invalid-body") from None


def _run(name: str, req: func.HttpRequest,
         call: Callable[[str, datetime], func.HttpResponse]) -> func.HttpResponse:
    incoming = header(req.headers, "x-correlation-id")
    with invocation_context(name, incoming[:64] if incoming else None) as correlation_id:
        lang = choose_language(req.params, cookies(req.headers).get(LANG_COOKIE))
        try:
            response = call(lang, datetime.now(UTC))
        except Exception as exc:
            response = _failure(req, exc, lang, correlation_id)
        response.headers["x-correlation-id"] = correlation_id
        return responses.secured(response)


def _failure(req: func.HttpRequest, exc: Exception, lang: str, correlation_id: str) -> func.HttpResponse:
    if isinstance(exc, NotSignedIn) and _wants_html(req):
        return login_page(req, lang, _path(req.url, with_query=True))
    problem = _problem(exc)
    if problem.status >= 500:
        log.warning("console request failed: %s", exc, exc_info=problem.problem == "internal-error")
    if _wants_html(req):
        t = translator(lang)
        title = t("closed.title") if isinstance(exc, ConsoleClosed) else t("error.title")
        body = render("error.html", lang=lang, t=t, base=BASE, title=title, status=problem.status,
                      detail=problem.detail, correlation_id=correlation_id)
        return responses.html(body, status=problem.status)
    return problem_response(problem, instance=_path(req.url), correlation_id=correlation_id)


def _problem(exc: Exception) -> ProblemError:
    if isinstance(exc, ProblemError):
        return exc
    if isinstance(exc, ConsoleAccessError):
        return ProblemError(exc.status, str(exc), problem=exc.problem, field=getattr(exc, "field", None))
    if isinstance(exc, InvalidListQuery):
        return ProblemError(400, str(exc), problem="invalid-query", field=exc.field)
    if isinstance(exc, SettingsError):
        return ProblemError(500, f"csp-guard is misconfigured: {exc}", problem="misconfigured")
    return problem_for(exc) or ProblemError(500, "an unexpected error occurred; quote the correlation id",
                                            problem="internal-error")


def _visitor(req: func.HttpRequest, now: datetime) -> Visitor:
    settings = get_settings()
    return identify(req.headers, easy_auth=easy_auth_enabled(), operator_roles=settings.operator_roles,
                    function_key=settings.function_key, now=now)


def _switch_language(req: func.HttpRequest) -> func.HttpResponse:
    lang = req.params["lang"]
    if lang not in LANGUAGES:
        raise ProblemError(400, f"lang must be one of {', '.join(LANGUAGES)}", problem="invalid-query",
                           field="lang")
    return responses.redirect(_without(req, "lang"),
                              cookie=set_cookie(LANG_COOKIE, lang, secure=is_secure(req), max_age=365 * 86400))


def _sign_in_with_code(req: func.HttpRequest, lang: str, now: datetime) -> func.HttpResponse:
    return sign_in(req, req.params.get("code"), "console", _without(req, "code"), lang, now)


def _without(req: func.HttpRequest, name: str) -> str:
    kept = [(k, v) for k, v in parse_qsl(urlsplit(req.url).query, keep_blank_values=True) if k != name]
    path = _path(req.url)
    return f"{path}?{urlencode(kept)}" if kept else path


def _path(url: str, *, with_query: bool = False) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if with_query and parts.query else parts.path


def _wants_html(req: func.HttpRequest) -> bool:
    return "text/html" in (header(req.headers, "accept") or "")


def _named(endpoint: Callable[[func.HttpRequest], func.HttpResponse],
           handler: Callable[..., func.HttpResponse]) -> Callable[[func.HttpRequest], func.HttpResponse]:
    endpoint.__name__ = handler.__name__
    endpoint.__qualname__ = handler.__qualname__
    endpoint.__doc__ = handler.__doc__
    endpoint.__module__ = handler.__module__
    return endpoint


def login_endpoint(req: func.HttpRequest) -> func.HttpResponse:
    """POST console/login: the form's key, once; the same origin only (the form is this console's own)."""

    def call(lang: str, now: datetime) -> func.HttpResponse:
        form = read_form(req)
        if not same_origin_or_absent(req.headers):
            raise CrossSiteRefused("the sign-in form was posted from another origin")
        name = "".join(ch for ch in form.get("name", "").strip() if ch.isprintable())[:64]
        return sign_in(req, form.get("key"), name or "console", form.get("next", BASE), lang, now)

    return _run("console_login", req, call)


def logout_endpoint(req: func.HttpRequest) -> func.HttpResponse:
    def call(lang: str, now: datetime) -> func.HttpResponse:
        visitor = _visitor(req, now)
        check_write(visitor, read_form(req).get("csrf"), req.headers)
        return responses.redirect(BASE, cookie=set_cookie(SESSION_COOKIE, "", secure=is_secure(req), max_age=0))

    return _run("console_logout", req, call)
