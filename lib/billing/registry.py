"""Provider adapters by the name in the webhook route (`POST /api/webhooks/{provider}`)."""

from __future__ import annotations

from lib.billing.provider import WebhookProvider
from lib.billing.standard import StandardWebhooksProvider
from lib.billing.stripe_provider import StripeProvider

_PROVIDERS: dict[str, WebhookProvider] = {
    provider.name: provider for provider in (StandardWebhooksProvider(), StripeProvider())
}
PROVIDER_NAMES: tuple[str, ...] = tuple(sorted(_PROVIDERS))


class UnknownProviderError(LookupError):
    """No adapter by that name (404)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown billing provider {name!r}; known: {', '.join(PROVIDER_NAMES)}")
        self.name = name


def provider_named(name: str) -> WebhookProvider:
    """The adapter for `name`, exactly as spelled in the route (lower case)."""
    try:
        return _PROVIDERS[name]
    except KeyError:
        raise UnknownProviderError(name) from None
