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
