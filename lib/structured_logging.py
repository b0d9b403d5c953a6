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
        elif record.exc_text:  # already formatted (and masked) when the record was made
            entry["exception"] = record.exc_text
        return self._redact(json.dumps(entry, default=str, ensure_ascii=False))


def configure_logging(secrets: Iterable[str] = (), level: int = logging.INFO) -> None:
    """Routes the root logger to stderr as JSON lines. Safe to call more than once (replaces its own handler)."""
    redactor = Redactor(secrets)
    install_redaction(redactor)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_cspguard", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLinesFormatter(redactor))
    handler._cspguard = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    quiet_sdk_loggers()


def configure_function_logging(secrets: Iterable[str] = ()) -> None:
    """Logging for the Functions app itself (called by function_app.py at import, under the Python worker too).

    The worker attaches its own handler to the root logger before it imports the app (azure-functions-python-worker,
    dispatcher.py `dispatch_forever`: `root_logger.addHandler(AsyncLoggingHandler())`); that handler formats each
    record and ships it over gRPC to the host, which adds level, category and invocation id and forwards it to
    Application Insights. So where the root logger already has a handler that is not ours, the host owns the output:
    that handler stays as it is and every record is masked as it is made. Where nothing handles the root logger
    (a plain `import function_app`), csp-guard writes JSON lines to stderr as the CLI does.
    """
    redactor = Redactor(secrets)
    install_redaction(redactor)
    root = logging.getLogger()
    if any(not getattr(handler, "_cspguard", False) for handler in root.handlers):
        quiet_sdk_loggers()
        return
    configure_logging(secrets)


def quiet_sdk_loggers() -> None:
    # The SDKs log every HTTP request at INFO, headers included; keep them to warnings.
    for noisy in ("azure", "azure.core.pipeline.policies.http_logging_policy", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def install_redaction(redactor: Redactor) -> None:
    """Masks secrets in every log record as it is made, so no handler (the worker's, Azure Monitor's, ours) ever
    sees one, and stamps the invocation's correlation id on it. Replaces an earlier csp-guard factory rather than
    stacking on it."""
    current = logging.getLogRecordFactory()
    base = getattr(current, "_cspguard_base", current)

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return _masked(base(*args, **kwargs), redactor)

    factory._cspguard_base = base  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def _masked(record: logging.LogRecord, redact: Redactor) -> logging.LogRecord:
    # The invocation's ids ride on the record too, so a handler that exports record attributes (Azure Monitor's:
    # customDimensions) carries them where the worker's text channel cannot.
    cid, function = _correlation_id.get(), _function_name.get()
    if cid:
        record.correlation_id = cid
    if function:
        record.function = function
    try:
        message = record.getMessage()
    except Exception:  # a malformed call; logging reports it when a handler formats the record
        return record
    record.msg, record.args = redact(message), None
    if record.exc_info:
        text = logging.Formatter().formatException(record.exc_info)
        masked = redact(text)
        record.exc_text = masked
        if masked != text:
            # Handlers that read the exception object itself (Azure Monitor) would export the secret from it.
            record.exc_info = None
    return record
