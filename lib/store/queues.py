"""The Storage queues csp-guard writes to, encoded the way the Functions queue trigger reads them.

host.json leaves `messageEncoding` at its default, base64, so messages are JSON text base64-encoded on the wire.
Failed messages end in `{queue}-poison` after host.json's `maxDequeueCount`, as the Functions host does.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from azure.core.credentials import TokenCredential
from azure.storage.queue import (
    BinaryBase64DecodePolicy,
    BinaryBase64EncodePolicy,
    QueueClient,
    QueueServiceClient,
)

from lib.settings import StorageSettings
from lib.store.errors import ConcurrencyConflict
from lib.store.tables import CLIENT_OPTIONS, default_credential, translate_errors


def poison_name(queue_name: str) -> str:
    return f"{queue_name}-poison"


@dataclass(frozen=True)
class ReceivedMessage:
    id: str
    pop_receipt: str
    body: bytes
    dequeue_count: int
    inserted_on: datetime | None
    expires_on: datetime | None
    next_visible_on: datetime | None


class MessageQueue:
    """One queue and its poison queue."""

    def __init__(self, service: QueueServiceClient, name: str) -> None:
        self.name = name
        self._client = _client(service, name)
        self._poison = _client(service, poison_name(name))

    @classmethod
    def from_settings(cls, storage: StorageSettings, name: str,
                      credential: TokenCredential | None = None) -> MessageQueue:
        return cls(queue_service_client(storage, credential), name)

    def ensure(self) -> None:
        for client in (self._client, self._poison):
            with contextlib.suppress(ConcurrencyConflict):  # it exists already
                translate_errors(client.create_queue)

    def send_json(self, message: Mapping[str, Any]) -> str:
        body = json.dumps(message, ensure_ascii=False, sort_keys=True).encode("utf-8")
        sent = translate_errors(lambda: self._client.send_message(body))
        return str(sent.id)

    def receive(self, *, max_messages: int = 16, visibility_timeout: int = 300) -> list[ReceivedMessage]:
        messages = translate_errors(lambda: list(self._client.receive_messages(
            max_messages=max_messages, visibility_timeout=visibility_timeout)))
        return [_received(m) for m in messages]

    def delete(self, message: ReceivedMessage) -> None:
        translate_errors(lambda: self._client.delete_message(message.id, message.pop_receipt))

    def release(self, message: ReceivedMessage, visibility_timeout: int) -> None:
        """Makes a failed message visible again after `visibility_timeout` seconds, for the next attempt."""
        translate_errors(lambda: self._client.update_message(
            message.id, message.pop_receipt, visibility_timeout=visibility_timeout))

    def send_poison(self, body: bytes, reason: str) -> None:
        """Poisons a message the function knows can never succeed, without waiting out the host's retries.
        The body is kept as received, like the host's own poison messages; the reason goes to the caller's log."""
        translate_errors(lambda: self._poison.send_message(body))

    def move_to_poison(self, message: ReceivedMessage) -> None:
        translate_errors(lambda: self._poison.send_message(message.body))
        self.delete(message)

    def approximate_count(self, *, poison: bool = False) -> int:
        client = self._poison if poison else self._client
        props = translate_errors(client.get_queue_properties)
        return int(props.approximate_message_count or 0)

    def peek(self, *, poison: bool = False, limit: int = 32) -> Iterator[bytes]:
        client = self._poison if poison else self._client
        for message in translate_errors(lambda: client.peek_messages(max_messages=limit)):
            yield bytes(message.content)


def queue_service_client(storage: StorageSettings, credential: TokenCredential | None = None) -> QueueServiceClient:
    if storage.connection_string is not None:
        return QueueServiceClient.from_connection_string(storage.connection_string, **CLIENT_OPTIONS)
    assert storage.queue_endpoint is not None
    return QueueServiceClient(account_url=storage.queue_endpoint,
                              credential=credential or default_credential(storage), **CLIENT_OPTIONS)


def _client(service: QueueServiceClient, name: str) -> QueueClient:
    # Base64 on the wire, bytes in Python: what the Functions queue trigger expects by default.
    return service.get_queue_client(name, message_encode_policy=BinaryBase64EncodePolicy(),
                                    message_decode_policy=BinaryBase64DecodePolicy())


def _received(message: Any) -> ReceivedMessage:
    return ReceivedMessage(
        id=message.id,
        pop_receipt=message.pop_receipt,
        body=bytes(message.content),
        dequeue_count=int(message.dequeue_count or 0),
        inserted_on=message.inserted_on,
        expires_on=message.expires_on,
        next_visible_on=message.next_visible_on,
    )
