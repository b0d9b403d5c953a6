from __future__ import annotations

import pytest

from lib.billing.registry import PROVIDER_NAMES, UnknownProviderError, provider_named
from lib.billing.standard import StandardWebhooksProvider
from lib.billing.stripe_provider import StripeProvider


def test_known_providers_are_found_by_name():
    assert isinstance(provider_named("standard"), StandardWebhooksProvider)
    assert isinstance(provider_named("stripe"), StripeProvider)
    assert PROVIDER_NAMES == ("standard", "stripe")
    assert all(provider_named(name).name == name for name in PROVIDER_NAMES)


@pytest.mark.parametrize("name", ["paypal", "", "Stripe", "csv"])
def test_unknown_provider_is_refused_with_the_known_names(name):
    with pytest.raises(UnknownProviderError, match="known: standard, stripe"):
        provider_named(name)


def test_a_channel_is_built_from_its_settings_and_an_unconfigured_one_is_an_unknown_provider():
    from lib.billing.registry import ChannelNotConfigured, channel_named
    from lib.settings import load_settings
    from tests.support.payment_channels import channel_env

    configured = load_settings(channel_env())
    assert channel_named("wechatpay", configured).name == "wechatpay"
    assert channel_named("alipay", configured).name == "alipay"
    assert channel_named("standard", configured) is None
    for name in ("wechatpay", "alipay"):
        with pytest.raises(UnknownProviderError, match="not configured") as raised:
            channel_named(name, load_settings({}))
        assert isinstance(raised.value, ChannelNotConfigured)
