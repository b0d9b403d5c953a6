"""The slice of the Partner Center client that suspension reads; the real client fits it, and unit tests can
pass their own small fake. Writes go through the write gate (lib/services/write_gate.py), never through here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from lib.partner_center.models import Subscription


class SubscriptionsPort(Protocol):
    def list_subscriptions(self, customer_id: str, *, correlation_id: str | None = None) -> Iterable[Subscription]:
        ...

    def get_subscription(self, customer_id: str, subscription_id: str, *,
                         correlation_id: str | None = None) -> Subscription:
        ...
