"""Builds the Partner Center client from settings."""

from __future__ import annotations

from lib.partner_center.client import PartnerCenterClient
from lib.partner_center.tokens import CredentialTokenProvider, StaticTokenProvider, TokenProvider, build_credential
from lib.settings import PartnerCenterSettings


def build_client(settings: PartnerCenterSettings) -> PartnerCenterClient:
    tokens: TokenProvider
    if settings.static_token:
        tokens = StaticTokenProvider(settings.static_token)
    else:
        credential = build_credential(settings.tenant_id, settings.client_id, settings.client_secret,
                                      settings.authority)
        tokens = CredentialTokenProvider(credential, settings.scope)
    return PartnerCenterClient(settings.base_url, tokens, locale=settings.agent_locale)
