"""Bearer tokens: a static one for the sandbox, a cached one from azure-identity for Partner Center."""

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from azure.core.credentials import AccessToken

from lib.http_basics import is_loopback_url
from lib.partner_center.tokens import (
    CredentialTokenProvider,
    StaticTokenProvider,
    build_credential,
    check_static_token_allowed,
)

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


# --- the loopback rule for static tokens ---

@pytest.mark.parametrize("url", ["http://127.0.0.1:7081", "http://127.0.0.5", "https://localhost:7081/",
                                 "http://[::1]:7081", "http://LOCALHOST:1"])
def test_a_static_token_is_allowed_for_a_loopback_base_url(url):
    assert is_loopback_url(url)
    check_static_token_allowed(url)


@pytest.mark.parametrize("url", ["https://partner.partnercenterapi.microsoftonline.cn", "http://10.0.0.4:7081",
                                 "http://127.0.0.1.example.cn", "http://localhost.example.cn", "ftp://127.0.0.1",
                                 "http://[::ffff:10.0.0.1]", "not a url", "http://[::1"])
def test_a_static_token_is_refused_for_any_other_base_url(url):
    assert not is_loopback_url(url)
    with pytest.raises(ValueError, match="loopback"):
        check_static_token_allowed(url)


def test_a_static_token_provider_does_not_show_its_token_in_its_repr():
    assert "sandbox-token" not in repr(StaticTokenProvider("sandbox-token"))


# --- credentials ---

def test_a_client_secret_builds_a_secret_credential_against_the_21vianet_authority():
    from azure.identity import ClientSecretCredential

    credential = build_credential("tenant", "client", "secret", "https://login.chinacloudapi.cn")
    assert isinstance(credential, ClientSecretCredential)
    assert credential._authority == "https://login.chinacloudapi.cn"  # private, but the one place it shows


def test_a_client_secret_without_tenant_or_client_id_is_refused():
    with pytest.raises(ValueError, match="TENANT_ID"):
        build_credential(None, "client", "secret", "https://login.chinacloudapi.cn")


def test_without_a_secret_the_managed_identity_is_used_where_one_is_published(monkeypatch):
    from azure.identity import ManagedIdentityCredential

    monkeypatch.setenv("IDENTITY_ENDPOINT", "http://127.0.0.1:41741/msi/token")
    monkeypatch.setenv("IDENTITY_HEADER", "header")
    assert isinstance(build_credential(None, "user-assigned-client", None, "https://login.chinacloudapi.cn"),
                      ManagedIdentityCredential)


def test_without_a_secret_or_a_managed_identity_the_error_names_the_settings(monkeypatch):
    monkeypatch.delenv("IDENTITY_ENDPOINT", raising=False)
    monkeypatch.delenv("MSI_ENDPOINT", raising=False)
    with pytest.raises(ValueError, match="PARTNER_CENTER_CLIENT_SECRET"):
        build_credential("tenant", "client", None, "https://login.chinacloudapi.cn")


def test_concurrent_callers_share_one_token_fetch(clock):
    class SlowCredential(FakeCredential):
        def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
            time.sleep(0.05)  # long enough for every thread to be waiting on the first fetch
            return super().get_token(*scopes, **kwargs)

    credential = SlowCredential(clock, lifetime=3600)
    provider = CredentialTokenProvider(credential, SCOPE)
    with ThreadPoolExecutor(max_workers=8) as pool:
        tokens = list(pool.map(lambda _: provider.get_token(), range(16)))
    assert set(tokens) == {"token-1"} and len(credential.scopes) == 1
