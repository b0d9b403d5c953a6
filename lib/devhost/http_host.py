"""Serves the registered HTTP functions under /api, with function keys checked the way the host checks them."""

from __future__ import annotations

import asyncio
import hmac
import inspect
import json
import logging
import re
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import azure.functions as func

from lib.devhost.registrations import HttpFunction
from lib.devhost.routes import first_match

log = logging.getLogger("csp_guard.devhost")
ROUTE_PREFIX = "api"
# The host refuses a request body over 100 MB (HTTP trigger docs, "Limits") before any function sees it.
HOST_MAX_REQUEST_BYTES = 100 * 1024 * 1024
_DIGITS = re.compile(r"[0-9]{1,20}")


class FunctionsHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # the default listen backlog (5) resets bursts of concurrent connections

    def __init__(self, address: tuple[str, int], functions: Sequence[HttpFunction], function_key: str) -> None:
        super().__init__(address, _Handler)
        self.functions = list(functions)
        self.function_key = function_key

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _Handler(BaseHTTPRequestHandler):
    server: FunctionsHttpServer
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; with Nagle on, the body waits for the client's delayed ACK (40 ms on
    # Linux) on every keep-alive request.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        return  # one structured line per request is written by _dispatch instead

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _dispatch(self) -> None:
        started = time.perf_counter()
        parts = urlsplit(self.path)
        status = self._serve(parts.path, dict(parse_qsl(parts.query, keep_blank_values=True)))
        log.info("http %s %s -> %d", self.command, parts.path, status,
                 extra={"duration_ms": round((time.perf_counter() - started) * 1000, 1)})

    def _serve(self, path: str, query: dict[str, str]) -> int:
        prefix = f"/{ROUTE_PREFIX}"
        found = first_match(self.server.functions, self.command, path[len(prefix):]) \
            if path == prefix or path.startswith(prefix + "/") else None
        length = self._content_length()
        if length is None or length > HOST_MAX_REQUEST_BYTES:
            # The body stays unread, so this connection cannot carry another request.
            self.close_connection = True
            return self._send(400 if length is None else 413, b"", {"Connection": "close"})
        body = self.rfile.read(length) if length else b""
        if found is None:
            # What the Functions host answers when no function's template and method match: 404, no body.
            return self._send(404, b"", {})
        function, route_params = found
        if function.auth_level != "anonymous" and not self._key_ok(query):
            return self._send(401, b"", {})
        request = func.HttpRequest(
            method=self.command,
            url=f"http://{self.headers.get('Host') or 'localhost'}{self.path}",
            headers={k: v for k, v in self.headers.items()},
            params=query,
            route_params=route_params,
            body=body,
        )
        try:
            response = _invoke(function, request)
        except Exception:
            # The Functions host answers an unhandled exception with a bare 500; so does this host.
            log.exception("function %s raised", function.name)
            return self._send(500, b"", {})
        headers = {k: v for k, v in response.headers.items()}
        if response.mimetype and "content-type" not in {k.lower() for k in headers}:
            charset = f"; charset={response.charset}" if response.charset else ""
            headers["Content-Type"] = f"{response.mimetype}{charset}"
        return self._send(response.status_code, response.get_body() or b"", headers)

    def _content_length(self) -> int | None:
        raw = self.headers.get("Content-Length")
        if raw is None:
            return 0
        return int(raw.strip()) if _DIGITS.fullmatch(raw.strip()) else None

    def _key_ok(self, query: dict[str, str]) -> bool:
        presented = self.headers.get("x-functions-key") or query.get("code") or ""
        return bool(presented) and hmac.compare_digest(presented.encode(), self.server.function_key.encode())

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> int:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return status


def _invoke(function: HttpFunction, request: func.HttpRequest) -> func.HttpResponse:
    result = function.handler(**{function.arg_name: request})
    if inspect.isawaitable(result):
        result = asyncio.run(_await(result))
    if isinstance(result, func.HttpResponse):
        return result
    if isinstance(result, str | bytes):
        return func.HttpResponse(result, status_code=200)
    return func.HttpResponse(json.dumps(result), status_code=200, mimetype="application/json")


async def _await(awaitable: Any) -> Any:
    return await awaitable
