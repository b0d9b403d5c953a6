"""Bearer tokens for Partner Center: from azure-identity in production, a static one for the local sandbox."""

from __future__ import annotations

import os
import threading
import time
from typing import Protocol

from azure.core.credentials import AccessToken, TokenCredential

_REFRESH_MARGIN = 300  # seconds before expiry at which a cached token is renewed


class TokenProvider(Protocol):
    def get_token(self) -> str:
        ...


class StaticTokenProvider:
    """Only ever configured against a loopback base URL (the settings refuse anything else)."""

    def __init__(self, token: str) -> None:
        if not token.strip():
            raise ValueError("a static token must not be empty")
        self._token = token

    def get_token(self) -> str:
        return self._token


class CredentialTokenProvider:
    def __init__(self, credential: TokenCredential, scope: str) -> None:
        self._credential = credential
        self._scope = scope
        self._cached: AccessToken | None = None
        self._lock = threading.Lock()

    def get_token(self) -> str:
        with self._lock:
            if self._cached is None or self._cached.expires_on - _REFRESH_MARGIN <= time.time():
                self._cached = self._credential.get_token(self._scope)
            return self._cached.token


def build_credential(tenant_id: str | None, client_id: str | None, client_secret: str | None,
                     authority: str) -> TokenCredential:
    """An app secret (from Key Vault through app settings) when given; otherwise the app's managed identity."""
    from azure.identity import ClientSecretCredential, ManagedIdentityCredential

    host = authority.removeprefix("https://").rstrip("/")
    if not client_secret and not _managed_identity_available():
        # Without this check azure-identity would probe the instance metadata address of a VM we are not on.
        raise ValueError("no Partner Center credentials: set PARTNER_CENTER_CLIENT_SECRET with the tenant and client "
                         "ids, or run where a managed identity is available (IDENTITY_ENDPOINT)")
    if client_secret:
        if not tenant_id or not client_id:
            raise ValueError("PARTNER_CENTER_TENANT_ID and PARTNER_CENTER_CLIENT_ID are needed with a client secret")
        return ClientSecretCredential(tenant_id, client_id, client_secret, authority=host)
    if client_id:
        return ManagedIdentityCredential(client_id=client_id)
    return ManagedIdentityCredential()


def _managed_identity_available() -> bool:
    """App Service and Functions publish their managed identity endpoint in these variables."""
    return bool(os.environ.get("IDENTITY_ENDPOINT") or os.environ.get("MSI_ENDPOINT"))
