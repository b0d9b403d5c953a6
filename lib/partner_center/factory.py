"""Builds the Partner Center client from settings."""

from __future__ import annotations

from lib.partner_center.client import PartnerCenterClient
from lib.partner_center.tokens import CredentialTokenProvider, StaticTokenProvider, TokenProvider, build_credential
from lib.settings import PartnerCenterSettings


def build_client(settings: PartnerCenterSettings) -> PartnerCenterClient:
    tokens: TokenProvider
    tokens = StaticTokenProvider(settings.static_token) if settings.static_token else _LazyCredentialTokens(settings)
    return PartnerCenterClient(settings.base_url, tokens, locale=settings.agent_locale)


class _LazyCredentialTokens:
    """Builds the credential on the first call to Partner Center, so a process that never calls it (a webhook
    recording a payment) does not fail for want of Partner Center credentials."""

    def __init__(self, settings: PartnerCenterSettings) -> None:
        self._settings = settings
        self._provider: CredentialTokenProvider | None = None

    def get_token(self) -> str:
        if self._provider is None:
            s = self._settings
            credential = build_credential(s.tenant_id, s.client_id, s.client_secret, s.authority)
            self._provider = CredentialTokenProvider(credential, s.scope)
        return self._provider.get_token()
