"""A local Partner Center: the real paths, payloads, paging, status codes and throttling, plus an admin API.

Partner Center API (routes.py; a bearer token is required, any non-empty one is accepted):
  GET  /v1/customers[?size=N]            GET /v1/customers/{id}
  GET  /v1/customers/{id}/subscriptions  GET|PATCH /v1/customers/{id}/subscriptions/{sub}
  GET  /v1/fraudEvents[?EventStatus=&SubscriptionId=&EventType=]
  GET  /v1/servicerequests/supporttopics POST /v1/servicerequests/{agent-locale}
  GET  /v1/servicerequests               GET /v1/servicerequests/{id}
  GET|POST|PUT|DELETE /webhooks/v1/registration, GET /webhooks/v1/registration/events,
  POST /webhooks/v1/registration/validationEvents, GET .../validationEvents/{correlationId}
  GET  /v1/customers/{id}/usagesummary   PATCH /v1/customers/{id}/usagebudget
Admin API under /_sandbox/ (admin.py). Each Partner Center request is recorded, then meets, in order: an injected
fault, the rate limit, the token check, the route.

Nothing here imports the client: the sandbox is what the client is tested against.
"""

from __future__ import annotations

import functools
import json
import signal
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from lib.partner_center.sandbox import admin, routes
from lib.partner_center.sandbox.delivery import deliver
from lib.partner_center.sandbox.seed import demo_customers
from lib.partner_center.sandbox.signing import new_identity, self_signed_identity
from lib.partner_center.sandbox.state import SandboxState, now_iso


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # the default listen backlog (5) resets bursts of concurrent connections

    def __init__(self, address: tuple[str, int], state: SandboxState) -> None:
        super().__init__(address, _Handler)
        self.state = state
        self.identity = new_identity()  # a leaf issued by the sandbox's test CA
        self.self_signed = self_signed_identity()  # the same names, no CA: what a forger could serve
        state.base_url = self.url
        state.sender = functools.partial(deliver, self)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = f"[{host!s}]" if ":" in str(host) else str(host)
        return f"http://{host}:{port}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (its read timeout, a test's injected delay) closes the socket under us: not an error.
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: SandboxServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # see lib/devhost/http_host.py: keep-alive replies would wait 40 ms otherwise

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PATCH = do_DELETE = do_PUT = do_GET

    def _dispatch(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        raw = self.rfile.read(length) if length > 0 else b""
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query))
        body = _parse(raw)
        try:
            if parts.path == "/_sandbox/cert/sandbox.cer":
                return self._send_bytes(200, self.server.identity.certificate_der, "application/pkix-cert")
            if parts.path == "/_sandbox/cert/ca.pem":
                return self._send_bytes(200, self.server.identity.ca_pem, "application/x-pem-file")
            if parts.path == "/_sandbox/cert/self-signed.cer":
                return self._send_bytes(200, self.server.self_signed.certificate_der, "application/pkix-cert")
            if parts.path.startswith("/_sandbox/"):
                return self._send(*admin.handle(self.server, self.command, parts.path, body))
            self._partner_center(parts.path, query, body)
        except ConnectionError:
            raise
        except Exception as exc:  # the sandbox answers like Partner Center would, rather than dropping the line
            self._send(500, routes.error_body(500, f"sandbox error: {type(exc).__name__}: {exc}"))

    def _partner_center(self, path: str, query: dict[str, str], body: Any) -> None:
        state = self.server.state
        headers = dict(self.headers.items())
        with state.lock:
            state.calls.append({"method": self.command, "path": path, "query": query, "headers": headers,
                                "body": body, "at": now_iso()})
            generation = state.generation
        echo = {"MS-RequestId": self.headers.get("MS-RequestId") or "",
                "MS-CorrelationId": self.headers.get("MS-CorrelationId") or ""}
        fault = state.take_fault(self.command, path)
        if fault is not None and fault.delay_ms:
            time.sleep(fault.delay_ms / 1000)
            if state.generation != generation:
                return self._send(503, routes.error_body(503, "the sandbox was reset during this request"), echo)
        if fault is not None and fault.status:
            extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            payload = fault.body if fault.body is not None else routes.error_body(fault.status, "injected fault")
            return self._send(fault.status, payload, {**echo, **extra})
        wait = state.throttled()
        if wait is not None:
            return self._send(429, routes.error_body(429, "Too many requests; retry after the time given"),
                              {**echo, "Retry-After": str(max(1, round(wait)))})
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return self._send(401, routes.error_body(401, "Unauthorized: a bearer token is required"),
                              {**echo, "WWW-Authenticate": "Bearer"})
        try:
            status, payload = routes.handle(state, self.command, path, query, headers, body)
        except routes.ApiError as exc:
            return self._send(exc.status, routes.error_body(exc.code, exc.description), echo)
        self._send(status, payload, echo)

    def _send_bytes(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _parse(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return raw.decode("utf-8", errors="replace")


@dataclass
class SandboxHandle:
    server: SandboxServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def state(self) -> SandboxState:
        return self.server.state

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start_background(host: str = "127.0.0.1", port: int = 0, *, demo: bool = False,
                     rate_limit: float = 0.0) -> SandboxHandle:
    """Starts the sandbox on a daemon thread (port 0: a free one) and returns at once; `.url`, `.stop()`."""
    state = SandboxState()
    state.reset()
    state.rate_limit = rate_limit
    if demo:
        state.add_customers(demo_customers())
    server = SandboxServer((host, port), state)
    thread = threading.Thread(target=server.serve_forever, name="pc-sandbox", daemon=True)
    thread.start()
    return SandboxHandle(server, thread)


def serve(host: str, port: int, seed: str | None, demo: bool, *, rate_limit: float = 0.0) -> None:
    """`csp-guard sandbox`: serves until Ctrl-C or SIGTERM. With `seed` (a JSON file in the admin seed format) the
    sandbox holds that file's customers instead of the demo data."""
    payload = json.loads(Path(seed).read_text(encoding="utf-8")) if seed is not None else None
    handle = start_background(host, port, demo=demo and seed is None, rate_limit=rate_limit)
    if payload is not None:
        handle.state.add_customers(payload)
    throttle = f", {rate_limit:g} requests/s" if rate_limit else ""
    print(f"Partner Center sandbox on {handle.url} ({len(handle.state.customers)} customers{throttle})", flush=True)
    stopped = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        handle.stop()
