"""Bearer tokens for Partner Center: from azure-identity in production, a static one for the local sandbox."""

from __future__ import annotations

import os
import threading
import time
from typing import Protocol

from azure.core.credentials import AccessToken, TokenCredential

from lib.http_basics import is_loopback_url

REFRESH_MARGIN_SECONDS = 300  # a cached token is renewed this long before it expires


class TokenProvider(Protocol):
    def get_token(self) -> str:
        ...


class StaticTokenProvider:
    """A fixed token, for the local sandbox only: the client refuses it for a base URL that is not loopback
    (see check_static_token_allowed), so a production token always comes from azure-identity."""

    def __init__(self, token: str) -> None:
        if not token.strip():
            raise ValueError("a static token must not be empty")
        self._token = token

    def get_token(self) -> str:
        return self._token

    def __repr__(self) -> str:
        return "StaticTokenProvider(<hidden>)"


def check_static_token_allowed(base_url: str) -> None:
    """Raises ValueError unless `base_url` is a loopback address (the sandbox)."""
    if not is_loopback_url(base_url):
        raise ValueError(f"a static Partner Center token is only allowed for a loopback base URL, not {base_url!r}; "
                         "against Partner Center the token must come from azure-identity")


class CredentialTokenProvider:
    """Caches the credential's token until REFRESH_MARGIN_SECONDS before it expires; safe across threads (one
    refresh at a time, the others wait for it rather than asking Entra too)."""

    def __init__(self, credential: TokenCredential, scope: str) -> None:
        self._credential = credential
        self._scope = scope
        self._cached: AccessToken | None = None
        self._lock = threading.Lock()

    def get_token(self) -> str:
        with self._lock:
            if self._cached is None or self._cached.expires_on - REFRESH_MARGIN_SECONDS <= time.time():
                self._cached = self._credential.get_token(self._scope)
            return self._cached.token


def build_credential(tenant_id: str | None, client_id: str | None, client_secret: str | None,
                     authority: str) -> TokenCredential:
    """An app secret (from Key Vault through app settings) when given, against `authority` (for 21Vianet
    https://login.chinacloudapi.cn); otherwise the app's managed identity (user-assigned when client_id is set)."""
    from azure.identity import ClientSecretCredential, ManagedIdentityCredential

    host = authority.removeprefix("https://").rstrip("/")
    if client_secret:
        if not tenant_id or not client_id:
            raise ValueError("PARTNER_CENTER_TENANT_ID and PARTNER_CENTER_CLIENT_ID are needed with a client secret")
        return ClientSecretCredential(tenant_id, client_id, client_secret, authority=host)
    if not _managed_identity_available():
        # Without this check azure-identity would probe the instance metadata address of a VM we are not on.
        raise ValueError("no Partner Center credentials: set PARTNER_CENTER_CLIENT_SECRET with the tenant and client "
                         "ids, or run where a managed identity is available (IDENTITY_ENDPOINT)")
    if client_id:
        return ManagedIdentityCredential(client_id=client_id)
    return ManagedIdentityCredential()


def _managed_identity_available() -> bool:
    """App Service and Functions publish their managed identity endpoint in these variables."""
    return bool(os.environ.get("IDENTITY_ENDPOINT") or os.environ.get("MSI_ENDPOINT"))
