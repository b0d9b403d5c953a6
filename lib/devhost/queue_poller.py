"""Runs queue-triggered functions the way the host's Storage queue extension does.

Polls with back-off up to maxPollingInterval; on success deletes the message; on failure makes it visible again
after visibilityTimeout; once a message has been dequeued maxDequeueCount times and fails again it is moved to
`{queue}-poison`.

The messages of one batch (host.json's batchSize) run in parallel, as the host runs them: "Both the
NewBatchThreshold and BatchSize settings control how many messages are being processed in parallel" (QueuesOptions,
Microsoft.Azure.WebJobs.Extensions.Storage.Queues; the Python worker runs synchronous functions on its thread pool).
The next batch is fetched when this one is done, so at most batchSize run at once here (the host may run up to
batchSize + newBatchThreshold).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from azure.functions.queue import QueueMessage

from lib.devhost.host_config import QueueOptions
from lib.devhost.registrations import QueueFunction
from lib.store.errors import StoreError
from lib.store.queues import MessageQueue, ReceivedMessage

log = logging.getLogger("csp_guard.devhost")
_PROCESSING_VISIBILITY = 600  # seconds a message stays hidden while its function runs


class QueuePoller:
    def __init__(self, function: QueueFunction, queue: MessageQueue, options: QueueOptions,
                 stop: threading.Event) -> None:
        self._function = function
        self._queue = queue
        self._options = options
        self._stop = stop

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._loop, name=f"queue:{self._function.name}", daemon=True)
        thread.start()
        return thread

    def _loop(self) -> None:
        idle_wait = 0.1
        while not self._stop.is_set():
            try:
                handled = self.poll_once()
            except StoreError as exc:
                log.warning("queue %s poll failed: %s", self._queue.name, exc)
                handled = 0
            if handled:
                idle_wait = 0.1
                continue
            self._stop.wait(idle_wait)
            idle_wait = min(idle_wait * 2, self._options.max_polling_interval_seconds)

    def poll_once(self) -> int:
        messages = self._queue.receive(max_messages=min(self._options.batch_size, 32),
                                       visibility_timeout=_PROCESSING_VISIBILITY)
        if len(messages) == 1:
            self._handle(messages[0])
        elif messages:
            with ThreadPoolExecutor(max_workers=len(messages), thread_name_prefix=f"q-{self._function.name}") as pool:
                list(pool.map(self._handle, messages))
        return len(messages)

    def _handle(self, message: ReceivedMessage) -> None:
        try:
            self._invoke(message)
        except Exception:
            log.exception("queue function %s failed on message %s (attempt %d of %d)", self._function.name,
                          message.id, message.dequeue_count, self._options.max_dequeue_count)
            if message.dequeue_count >= self._options.max_dequeue_count:
                self._queue.move_to_poison(message)
                log.error("message %s moved to %s-poison", message.id, self._queue.name)
            else:
                self._queue.release(message, int(self._options.visibility_timeout_seconds))
            return
        self._queue.delete(message)

    def _invoke(self, message: ReceivedMessage) -> None:
        queue_message = QueueMessage(
            id=message.id,
            body=message.body,
            dequeue_count=message.dequeue_count,
            insertion_time=message.inserted_on,
            expiration_time=message.expires_on,
            time_next_visible=message.next_visible_on,
            pop_receipt=message.pop_receipt,
        )
        result = self._function.handler(**{self._function.arg_name: queue_message})
        if inspect.isawaitable(result):
            asyncio.run(_await(result))


async def _await(awaitable: object) -> None:
    await awaitable  # type: ignore[misc]
