"""One delivery of a queue message to its use case, with the poison rules operators rely on.

The host moves a message to `<queue>-poison` once it has failed `maxDequeueCount` deliveries (host.json: 5). A
message no delivery could ever act on is poisoned at once instead of five times over, and operators hear of both
through the `poison_message` alert; any other failure is raised, so the host delivers the message again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from lib.store.queues import MessageQueue

log = logging.getLogger("csp_guard.queues")
MAX_DELIVERIES = 5  # host.json extensions.queues.maxDequeueCount (tests/unit/functions keep the two equal)
Alert = Callable[[str, str, dict[str, object]], None]
T = TypeVar("T")


def deliver(handle: Callable[[bytes], T], body: bytes, *, what: str, never_valid: type[Exception],
            queue: MessageQueue, message_id: str | None, delivery: int, alert: Alert,
            on_poison: Callable[[bytes, str], None] | None = None) -> T | None:
    """`handle(body)`'s result; None when the message was poisoned as never valid (`never_valid` raised).
    `on_poison(body, reason)` records the reason where operators look for it (a service request's case)."""
    try:
        return handle(body)
    except never_valid as exc:
        log.error("%s message poisoned: %s", what, exc)
        queue.send_poison(body, str(exc))
        alert("poison_message", f"a {what} message was poisoned: {exc}", {"queue": queue.name,
                                                                          "message_id": message_id})
        if on_poison is not None:
            on_poison(body, str(exc))
        return None
    except Exception as exc:
        if delivery >= MAX_DELIVERIES:  # the host moves it to the poison queue after this failure
            alert("poison_message", f"a {what} message failed {delivery} times: {exc}",
                  {"queue": queue.name, "message_id": message_id})
        raise
