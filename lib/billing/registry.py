"""Provider adapters by the name in the webhook route (`POST /api/webhooks/{provider}`)."""

from __future__ import annotations

from lib.billing.alipay import alipay_channel
from lib.billing.channel import PaymentChannel
from lib.billing.provider import WebhookProvider
from lib.billing.standard import StandardWebhooksProvider
from lib.billing.stripe_provider import StripeProvider
from lib.billing.wechatpay import wechatpay_channel
from lib.settings import Settings

_PROVIDERS: dict[str, WebhookProvider] = {
    provider.name: provider for provider in (StandardWebhooksProvider(), StripeProvider())
}
PROVIDER_NAMES: tuple[str, ...] = tuple(sorted(_PROVIDERS))


class UnknownProviderError(LookupError):
    """No adapter by that name (404)."""

    def __init__(self, name: str, message: str | None = None) -> None:
        super().__init__(message or f"unknown billing provider {name!r}; known: {', '.join(PROVIDER_NAMES)}")
        self.name = name


def provider_named(name: str) -> WebhookProvider:
    """The adapter for `name`, exactly as spelled in the route (lower case)."""
    try:
        return _PROVIDERS[name]
    except KeyError:
        raise UnknownProviderError(name) from None


# Channels that answer in their own words and hold keys rather than WEBHOOK_SECRET_<PROVIDER> (lib.billing.channel).
CHANNEL_NAMES: tuple[str, ...] = ("alipay", "wechatpay")


class ChannelNotConfigured(UnknownProviderError):
    """A channel whose settings are absent is not offered: 404, as an unknown provider."""

    def __init__(self, name: str, settings_prefix: str) -> None:
        super().__init__(name, f"the {name} channel is not configured ({settings_prefix}* settings)")


def channel_named(name: str, settings: Settings) -> PaymentChannel | None:
    """The payment channel called `name`, built from its settings; None when `name` is not a channel."""
    if name == "wechatpay":
        if settings.wechatpay is None:
            raise ChannelNotConfigured(name, "WECHATPAY_")
        return wechatpay_channel(settings.wechatpay, settings.webhook_tolerance_seconds)
    if name == "alipay":
        if settings.alipay is None:
            raise ChannelNotConfigured(name, "ALIPAY_")
        return alipay_channel(settings.alipay, settings.webhook_tolerance_seconds)
    return None
