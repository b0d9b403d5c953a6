"""The parts of host.json the development host honours, read the way the Functions host reads them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.\d+)?$")


@dataclass(frozen=True)
class QueueOptions:
    # Defaults are the Functions host's own for the Storage queue extension.
    batch_size: int = 16
    max_dequeue_count: int = 5
    visibility_timeout_seconds: float = 0.0
    max_polling_interval_seconds: float = 60.0
    message_encoding: str = "base64"


@dataclass(frozen=True)
class HostConfig:
    route_prefix: str = "api"
    queues: QueueOptions = QueueOptions()


def timespan_seconds(text: str) -> float:
    found = _TIMESPAN.match(text.strip())
    if not found:
        raise ValueError(f"{text!r} is not a timespan like 00:00:30")
    days, hours, minutes, seconds = (int(g) if g else 0 for g in found.groups())
    return float(days * 86400 + hours * 3600 + minutes * 60 + seconds)


def load_host_config(path: Path) -> HostConfig:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    extensions = data.get("extensions") or {}
    http = extensions.get("http") or {}
    queues = extensions.get("queues") or {}
    defaults = QueueOptions()
    options = QueueOptions(
        batch_size=int(queues.get("batchSize", defaults.batch_size)),
        max_dequeue_count=int(queues.get("maxDequeueCount", defaults.max_dequeue_count)),
        visibility_timeout_seconds=timespan_seconds(queues["visibilityTimeout"])
        if "visibilityTimeout" in queues else defaults.visibility_timeout_seconds,
        max_polling_interval_seconds=timespan_seconds(queues["maxPollingInterval"])
        if "maxPollingInterval" in queues else defaults.max_polling_interval_seconds,
        message_encoding=str(queues.get("messageEncoding", defaults.message_encoding)).lower(),
    )
    if options.message_encoding != "base64":
        raise ValueError("host.json queues.messageEncoding: only base64 is used by csp-guard")
    return HostConfig(route_prefix=str(http.get("routePrefix", "api")), queues=options)
