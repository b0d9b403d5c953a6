"""Bearer tokens: a static one for the sandbox, a cached one from azure-identity for Partner Center."""

from typing import Any

import pytest
from azure.core.credentials import AccessToken

from lib.partner_center.tokens import CredentialTokenProvider, StaticTokenProvider

SCOPE = "https://api.partnercenterapi.microsoftonline.cn/.default"
T0 = 1_800_000_000.0


class FakeCredential:
    """Hands out token-1, token-2, ... each valid for `lifetime` seconds from the fake clock's now."""

    def __init__(self, clock: "FakeClock", lifetime: int) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(f"token-{len(self.scopes)}", int(self.clock.now) + self.lifetime)


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock(T0)
    monkeypatch.setattr("lib.partner_center.tokens.time.time", fake)
    return fake


def test_a_static_token_provider_refuses_an_empty_token():
    with pytest.raises(ValueError, match="must not be empty"):
        StaticTokenProvider("")


def test_a_static_token_provider_returns_its_token():
    assert StaticTokenProvider("sandbox-token").get_token() == "sandbox-token"


def test_a_credential_token_is_fetched_for_the_configured_scope(clock):
    credential = FakeCredential(clock, lifetime=3600)
    assert CredentialTokenProvider(credential, SCOPE).get_token() == "token-1"
    assert credential.scopes == [(SCOPE,)]


def test_a_credential_token_is_cached_until_five_minutes_before_it_expires(clock):
    credential = FakeCredential(clock, lifetime=3600)
    provider = CredentialTokenProvider(credential, SCOPE)
    assert provider.get_token() == "token-1"
    clock.now = T0 + 3600 - 301
    assert provider.get_token() == "token-1"
    assert len(credential.scopes) == 1


def test_a_credential_token_is_refreshed_from_five_minutes_before_it_expires(clock):
    credential = FakeCredential(clock, lifetime=3600)
    provider = CredentialTokenProvider(credential, SCOPE)
    provider.get_token()
    clock.now = T0 + 3600 - 300
    assert provider.get_token() == "token-2"
    clock.now += 60
    assert provider.get_token() == "token-2"  # the refreshed token is cached in its turn
    assert len(credential.scopes) == 2


def test_an_expired_credential_token_is_refreshed(clock):
    credential = FakeCredential(clock, lifetime=3600)
    provider = CredentialTokenProvider(credential, SCOPE)
    provider.get_token()
    clock.now = T0 + 7200
    assert provider.get_token() == "token-2"


def test_a_credential_token_that_lives_under_five_minutes_is_fetched_on_every_call(clock):
    credential = FakeCredential(clock, lifetime=200)
    provider = CredentialTokenProvider(credential, SCOPE)
    assert [provider.get_token() for _ in range(3)] == ["token-1", "token-2", "token-3"]
