"""Operators' alerts through Apprise (OPS_ALERT_URLS: WeCom robot `wecombot://`, DingTalk `dingtalk://`, Feishu
`feishu://`, e-mail `mailtos://`, a JSON webhook `json://`), batched under a chat robot's rate limit.

A WeCom group robot accepts at most 20 messages a minute (WeCom's group-robot documentation; DingTalk's custom robot
has the same 20-a-minute limit), and a scan can raise many alerts in a second (a capped mass suspension, a burst of
failed notices). So alerts are not sent one by one: those raised within `batch_seconds` travel together as one
message, and no more than `per_minute` messages go to the URLs in any sliding 60 seconds; what is raised meanwhile
waits and goes in the next batch. Every alert is also logged, so nothing is lost if the process ends first.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import apprise

log = logging.getLogger("csp_guard.ops_alerts")
ROBOT_MESSAGES_PER_MINUTE = 20
MAX_LINES = 50  # per message; the count of any further alerts is given instead


@dataclass(frozen=True)
class _Alert:
    kind: str
    summary: str
    details: dict[str, object]


class AppriseOpsAlerts:
    """`raise_alert(kind, summary, details)`, where kind names what happened (cap_reached, suspension_made,
    suspension_withheld, fraud_case_opened, notice_failed, poison_message) and leads each line of the message."""

    def __init__(self, urls: Sequence[str], *, per_minute: int = ROBOT_MESSAGES_PER_MINUTE, window: float = 60.0,
                 batch_seconds: float = 2.0, monotonic: Callable[[], float] = time.monotonic,
                 notifier: Any = None) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self._notifier = notifier if notifier is not None else apprise.Apprise()
        for url in urls:
            if not self._notifier.add(url):
                # The URL itself is a secret (it carries the robot key): name its scheme only.
                raise ValueError(f"OPS_ALERT_URLS: Apprise does not accept a {url.split('://', 1)[0]}:// URL")
        self._per_minute = per_minute
        self._window = window
        self._batch_seconds = batch_seconds
        self._monotonic = monotonic
        self._pending: list[_Alert] = []
        self._sent_at: deque[float] = deque()
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def raise_alert(self, kind: str, summary: str, details: dict[str, object]) -> None:
        log.warning("operator alert %s: %s", kind, summary, extra={"alert_kind": kind, "alert_details": details})
        with self._lock:
            self._pending.append(_Alert(kind, summary, dict(details)))
            if self._timer is None:
                self._schedule(max(self._batch_seconds, self._wait_for_capacity()))

    def flush(self) -> bool:
        """Sends what is pending as one message if the rate allows now; True when nothing is left pending."""
        with self._lock:
            self._timer = None
            if not self._pending:
                return True
            wait = self._wait_for_capacity()
            if wait > 0:
                self._schedule(wait)
                return False
            batch, self._pending = self._pending, []
            self._sent_at.append(self._monotonic())
        self._send(batch)
        return True

    def close(self, timeout: float = 0.0) -> None:
        """Stops the timer; with a timeout, first waits up to that long for the pending alerts to go."""
        deadline = self._monotonic() + timeout
        while timeout and not self.flush() and self._monotonic() < deadline:
            time.sleep(0.05)
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def _wait_for_capacity(self) -> float:
        now = self._monotonic()
        while self._sent_at and now - self._sent_at[0] >= self._window:
            self._sent_at.popleft()
        if len(self._sent_at) < self._per_minute:
            return 0.0
        return self._window - (now - self._sent_at[0]) + 0.01

    def _schedule(self, delay: float) -> None:
        self._timer = threading.Timer(delay, self.flush)
        self._timer.daemon = True
        self._timer.start()

    def _send(self, batch: list[_Alert]) -> None:
        kinds = sorted({alert.kind for alert in batch})
        title = f"csp-guard: {batch[0].summary}" if len(batch) == 1 else \
            f"csp-guard: {len(batch)} alerts ({', '.join(kinds)})"
        lines = [f"[{a.kind}] {a.summary}" + (f" ({_details(a.details)})" if a.details else "")
                 for a in batch[:MAX_LINES]]
        if len(batch) > MAX_LINES:
            lines.append(f"... and {len(batch) - MAX_LINES} more alerts; see the logs")
        try:
            delivered = self._notifier.notify(title=title, body="\n".join(lines),
                                              notify_type=apprise.NotifyType.FAILURE)
        except Exception:  # an alert channel's failure must never break what raised the alert
            log.exception("operator alerts could not be sent")
            return
        if not delivered:
            log.error("operator alerts: at least one OPS_ALERT_URLS target refused %d alert(s)", len(batch))


def _details(details: dict[str, object]) -> str:
    return ", ".join(f"{key}={value}" for key, value in details.items())
