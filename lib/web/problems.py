"""RFC 9457 problem details: every error a caller of the HTTP API can meet, in one shape."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func

PROBLEM_TYPE_BASE = "https://csp-guard.dev/problems/"
MAX_BODY_BYTES = 256 * 1024  # every body csp-guard takes (webhooks, operator requests) is far smaller
_TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
           409: "Conflict", 413: "Payload too large", 415: "Unsupported media type", 422: "Unprocessable content",
           429: "Too many requests", 500: "Internal error", 502: "Bad gateway", 503: "Service unavailable"}


class ProblemError(Exception):
    """Raised anywhere below a function to answer with a problem+json response."""

    def __init__(self, status: int, detail: str, *, problem: str | None = None, title: str | None = None,
                 **extensions: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.problem = problem or _TITLES.get(status, "error").lower().replace(" ", "-")
        self.title = title or _TITLES.get(status, "Error")
        self.extensions = extensions


def problem_body(status: int, title: str, detail: str, problem: str, **extensions: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": PROBLEM_TYPE_BASE + problem, "title": title, "status": status, "detail": detail}
    body.update({k: v for k, v in extensions.items() if v is not None})
    return body


def problem_response(error: ProblemError, *, instance: str | None = None,
                     correlation_id: str | None = None) -> func.HttpResponse:
    body = problem_body(error.status, error.title, error.detail, error.problem, instance=instance,
                        correlation_id=correlation_id, **error.extensions)
    return func.HttpResponse(json.dumps(body, ensure_ascii=False), status_code=error.status,
                             mimetype="application/problem+json", charset="utf-8")


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(data, ensure_ascii=False, default=str), status_code=status,
                             mimetype="application/json", charset="utf-8", headers=headers)


def read_json_body(req: func.HttpRequest, *, required: bool = True) -> Any:
    """The request's JSON body, or a 400 problem naming what is wrong with it."""
    raw = req.get_body()
    if len(raw) > MAX_BODY_BYTES:
        raise ProblemError(413, f"the body is {len(raw)} bytes; the limit is {MAX_BODY_BYTES}",
                           problem="payload-too-large")
    if not raw:
        if required:
            raise ProblemError(400, "the request body is empty; send a JSON object", problem="invalid-body")
        return {}
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProblemError(400, f"the body is not valid JSON: {exc}", problem="invalid-body") from None
    except ValueError as exc:
        # json.loads turns a number of more than 4300 digits into an int, which Python refuses (str-to-int limit).
        raise ProblemError(400, f"the body holds a number too large to read: {str(exc)[:120]}",
                           problem="invalid-body") from None
    except RecursionError:
        raise ProblemError(400, "the body is nested too deeply", problem="invalid-body") from None


def check_content_length(req: func.HttpRequest, limit: int = MAX_BODY_BYTES) -> None:
    """Refuses a body over `limit` from its Content-Length header, before the body is read or parsed."""
    raw = req.headers.get("content-length")
    if raw is None:
        return  # chunked or bodiless: read_json_body and the webhook path check the length they read
    text = raw.strip()
    if not (text.isascii() and text.isdigit()):
        raise ProblemError(400, f"Content-Length {raw[:40]!r} is not a number of bytes", problem="invalid-header")
    if int(text) > limit:
        raise ProblemError(413, f"the body is {int(text)} bytes; the limit is {limit}", problem="payload-too-large")
