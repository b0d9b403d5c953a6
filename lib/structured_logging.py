"""JSON-lines logging with a correlation id per invocation, and a last line of defence against leaked secrets.

Every record carries the current invocation's correlation id (set by `invocation_context`), so one webhook, scan or
queue message can be followed through storage and Partner Center calls. The formatter masks every configured secret
value and anything shaped like a bearer token, storage key or webhook secret, whatever the caller logged.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import sys
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

_correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)
_function_name: contextvars.ContextVar[str | None] = contextvars.ContextVar("function_name", default=None)

MASK = "***"
_SECRET_SHAPES = re.compile(
    r"(Bearer\s+)[A-Za-z0-9\-._~+/]+=*"
    r"|(AccountKey=)[^;\s]+"
    r"|(SharedAccessSignature=|sig=)[^;&\s]+"
    r"|(whsec_)[A-Za-z0-9+/=]+"
    r"|(client_secret=)[^&\s]+",
    re.IGNORECASE,
)
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def current_correlation_id() -> str | None:
    return _correlation_id.get()


@contextlib.contextmanager
def invocation_context(function_name: str, correlation_id: str | None = None) -> Iterator[str]:
    """Binds a correlation id (given, e.g. from a request header, or new) for the duration of one invocation."""
    cid = correlation_id or str(uuid.uuid4())
    token_cid = _correlation_id.set(cid)
    token_fn = _function_name.set(function_name)
    try:
        yield cid
    finally:
        _correlation_id.reset(token_cid)
        _function_name.reset(token_fn)


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return _SECRET_SHAPES.sub(lambda m: next(g for g in m.groups() if g is not None) + MASK, text)


class JsonLinesFormatter(logging.Formatter):
    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self._redact = redactor or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        cid = _correlation_id.get()
        if cid:
            entry["correlation_id"] = cid
        function = _function_name.get()
        if function:
            entry["function"] = function
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return self._redact(json.dumps(entry, default=str, ensure_ascii=False))


def configure_logging(secrets: Iterable[str] = (), level: int = logging.INFO) -> None:
    """Routes the root logger to stderr as JSON lines. Safe to call more than once (replaces its own handler)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_cspguard", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLinesFormatter(Redactor(secrets)))
    handler._cspguard = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # The SDKs log every HTTP request at INFO, headers included; keep them to warnings.
    for noisy in ("azure", "urllib3", "azure.core.pipeline.policies.http_logging_policy"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
