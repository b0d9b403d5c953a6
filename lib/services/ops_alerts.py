"""Alerts for the partner's own staff (a reconcile retry that gave up, ...).

`OpsAlerts` is the port services raise through; `LoggingOpsAlerts` writes one ERROR log line per alert with its
kind and details as structured fields, which Application Insights turns into an alertable trace. The Apprise sender
(OPS_ALERT_URLS) implements the same port.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger("csp_guard.ops_alerts")


class OpsAlerts(Protocol):
    def raise_alert(self, kind: str, summary: str, details: dict[str, object]) -> None:
        ...


class LoggingOpsAlerts:
    def raise_alert(self, kind: str, summary: str, details: dict[str, object]) -> None:
        log.error("ops alert %s: %s", kind, summary, extra={"alert_kind": kind, "alert_details": details})


class AlertCallback:
    """A plain function as the port (tests record alerts this way)."""

    def __init__(self, callback: Callable[[str, str, dict[str, object]], None]) -> None:
        self._callback = callback

    def raise_alert(self, kind: str, summary: str, details: dict[str, object]) -> None:
        self._callback(kind, summary, details)
