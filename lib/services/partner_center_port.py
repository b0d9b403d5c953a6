"""The slice of the Partner Center client that suspension needs; the real client fits it, and unit tests can
pass their own small fake."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from lib.partner_center.models import CallResult, Subscription


class SubscriptionsPort(Protocol):
    def list_subscriptions(self, customer_id: str, *, correlation_id: str | None = None) -> Iterable[Subscription]:
        ...

    def get_subscription(self, customer_id: str, subscription_id: str, *,
                         correlation_id: str | None = None) -> Subscription:
        ...

    def set_subscription_status(self, customer_id: str, subscription: Subscription, status: str, *,
                                correlation_id: str | None = None) -> CallResult[Subscription]:
        ...
