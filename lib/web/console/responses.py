"""The console's HTTP answers: every one carries a strict Content-Security-Policy and the other safety headers."""

from __future__ import annotations

import azure.functions as func

from lib.web.console.assets import CACHE_FOREVER, Asset

# No inline script or style anywhere: scripts and styles come only from the console's own static files.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                           "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SAFETY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Keeps a customer id in the address bar out of other sites' logs. (With no-referrer, Chromium would send
    # `Origin: null` on the console's own form posts, and the origin check needs the real one.)
    "Referrer-Policy": "same-origin",
}


def secured(response: func.HttpResponse) -> func.HttpResponse:
    for name, value in SAFETY_HEADERS.items():
        response.headers[name] = value
    return response


def html(body: str, *, status: int = 200, cookie: str | None = None) -> func.HttpResponse:
    headers = {"Cache-Control": "no-store", "Vary": "HX-Request, Cookie"}
    if cookie:
        headers["Set-Cookie"] = cookie
    return secured(func.HttpResponse(body, status_code=status, mimetype="text/html", charset="utf-8",
                                     headers=headers))


def redirect(location: str, *, cookie: str | None = None) -> func.HttpResponse:
    """303 See Other: after a form's POST, and to drop `?code=`/`?lang=` from the address bar."""
    headers = {"Location": location, "Cache-Control": "no-store"}
    if cookie:
        headers["Set-Cookie"] = cookie
    return secured(func.HttpResponse("", status_code=303, headers=headers))


def asset(found: Asset, if_none_match: str | None) -> func.HttpResponse:
    headers = {"Cache-Control": CACHE_FOREVER, "ETag": found.etag}
    if if_none_match and found.etag in [tag.strip() for tag in if_none_match.split(",")]:
        return secured(func.HttpResponse(b"", status_code=304, headers=headers))
    text = found.content_type.startswith("text/")
    headers["Content-Type"] = f"{found.content_type}; charset=utf-8" if text else found.content_type
    return secured(func.HttpResponse(found.body, status_code=200, headers=headers))
