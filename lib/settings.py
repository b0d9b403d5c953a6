"""Every setting csp-guard reads, read once from the environment into a frozen object.

A missing or malformed setting raises SettingsError whose message is one line naming the setting and what is
wrong, so a bad deployment fails at start-up instead of at the first suspension.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from lib.http_basics import is_loopback_url
from lib.settings_channels import AlipaySettings as AlipaySettings
from lib.settings_channels import WeChatPaySettings as WeChatPaySettings
from lib.settings_channels import read_alipay, read_wechatpay
from lib.settings_notices import NoticeSettings as NoticeSettings
from lib.settings_notices import read_notice_settings
from lib.settings_reader import APP_ROOT as APP_ROOT
from lib.settings_reader import SettingsError as SettingsError
from lib.settings_reader import SettingsReader

ENFORCEMENT_MODES = ("shadow", "enforce", "review")
# Where the issuers of Microsoft's certificates are published (their AIA caIssuers URLs).
WEBHOOK_ISSUER_HOSTS = ("www.microsoft.com", "cacerts.digicert.com")
_TABLE_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,39}$")
_QUEUE_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,55}$")
_PROVIDER = re.compile(r"^[a-z0-9_]+$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_LOCALE = re.compile(r"^[a-z]{2}-[A-Z]{2}$")


@dataclass(frozen=True)
class StorageSettings:
    connection_string: str | None = field(default=None, repr=False)
    account_name: str | None = None
    table_endpoint: str | None = None
    queue_endpoint: str | None = None
    managed_identity_client_id: str | None = None

    @property
    def uses_identity(self) -> bool:
        return self.connection_string is None


@dataclass(frozen=True)
class PartnerCenterSettings:
    base_url: str
    authority: str
    scope: str
    agent_locale: str
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    static_token: str | None = field(default=None, repr=False)
    service_request_topic_id: str | None = None
    webhook_cert_hosts: tuple[str, ...] = ("3psostorageacct.blob.core.windows.net",)
    webhook_cert_organization: str = "Microsoft Corporation"
    webhook_issuer_hosts: tuple[str, ...] = WEBHOOK_ISSUER_HOSTS
    webhook_ca_bundle: Path | None = None  # a sandbox's test CA: only with a loopback base URL


@dataclass(frozen=True)
class Settings:
    storage: StorageSettings
    table_prefix: str
    service_requests_queue: str
    partner_center: PartnerCenterSettings
    collections_policy: Path
    enforcement_mode: str
    max_suspensions_per_run: int
    enforcement_paused: bool
    scan_schedule: str
    fraud_poll_schedule: str
    reconcile_schedule: str
    webhook_secrets: Mapping[str, tuple[str, ...]] = field(repr=False)
    webhook_tolerance_seconds: int = 300
    operator_roles: tuple[str, ...] = ("CspGuard.Operator",)
    function_key: str | None = field(default=None, repr=False)
    wechatpay: WeChatPaySettings | None = None
    alipay: AlipaySettings | None = None
    allow_future_as_of: bool = False
    notices: NoticeSettings = field(default_factory=NoticeSettings)
    full_sweep_schedule: str = "0 0 2 * * 0"
    fraud_poll_call_budget: int = 300
    fraud_usage_max_age_hours: int = 24
    due_customers_queue: str = "due-customers"  # the daily scan's acting, fanned out (lib/services/due_customers.py)

    @property
    def enforcing(self) -> bool:
        return self.enforcement_mode == "enforce"

    def secret_values(self) -> tuple[str, ...]:
        """Every secret this process holds, so the log formatter can make sure none is ever written."""
        values: list[str] = []
        for secrets in self.webhook_secrets.values():
            values.extend(secrets)
        for value in (
            self.partner_center.client_secret,
            self.partner_center.static_token,
            self.function_key,
            self.storage.connection_string,
            self.wechatpay.apiv3_key if self.wechatpay else None,
            self.notices.smtp_password,
            *self.notices.ops_alert_urls,
        ):
            if value:
                values.append(value)
        account_key = _account_key(self.storage.connection_string)
        if account_key:
            values.append(account_key)
        return tuple(v for v in values if len(v) >= 6)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    source = os.environ if env is None else env
    reader = SettingsReader(source)
    pc_base_url = reader.url("PARTNER_CENTER_BASE_URL", "https://partner.partnercenterapi.microsoftonline.cn")
    static_token = reader.optional("PARTNER_CENTER_STATIC_TOKEN")
    if static_token and not is_loopback_url(pc_base_url):
        raise SettingsError(
            "PARTNER_CENTER_STATIC_TOKEN: only allowed when PARTNER_CENTER_BASE_URL is a loopback address "
            "(the local sandbox); production tokens come from azure-identity"
        )
    webhook_ca_bundle = _webhook_ca_bundle(reader, pc_base_url)
    return Settings(
        storage=_storage(reader),
        table_prefix=reader.matching("CSPGUARD_TABLE_PREFIX", "cspguard", _TABLE_PREFIX,
                                     "1-40 letters and digits, starting with a letter"),
        service_requests_queue=reader.matching("SERVICE_REQUESTS_QUEUE", "service-requests", _QUEUE_NAME,
                                               "a storage queue name: 3-56 lower-case letters, digits, hyphens"),
        due_customers_queue=reader.matching("DUE_CUSTOMERS_QUEUE", "due-customers", _QUEUE_NAME,
                                            "a storage queue name: 3-56 lower-case letters, digits, hyphens"),
        partner_center=PartnerCenterSettings(
            base_url=pc_base_url,
            authority=reader.url("PARTNER_CENTER_AUTHORITY", "https://login.chinacloudapi.cn"),
            scope=reader.text("PARTNER_CENTER_SCOPE", "https://api.partnercenter.microsoft.com/.default"),
            agent_locale=reader.matching("PARTNER_CENTER_AGENT_LOCALE", "zh-CN", _LOCALE, "a locale such as zh-CN"),
            tenant_id=reader.optional_matching("PARTNER_CENTER_TENANT_ID", _GUID, "a GUID"),
            client_id=reader.optional_matching("PARTNER_CENTER_CLIENT_ID", _GUID, "a GUID"),
            client_secret=reader.optional("PARTNER_CENTER_CLIENT_SECRET"),
            static_token=static_token,
            service_request_topic_id=reader.optional("SERVICE_REQUEST_TOPIC_ID"),
            webhook_cert_hosts=reader.names("PARTNER_CENTER_WEBHOOK_CERT_HOSTS",
                                            ("3psostorageacct.blob.core.windows.net",)),
            webhook_cert_organization=reader.text("PARTNER_CENTER_WEBHOOK_CERT_ORG", "Microsoft Corporation"),
            webhook_issuer_hosts=reader.names("PARTNER_CENTER_WEBHOOK_ISSUER_HOSTS", WEBHOOK_ISSUER_HOSTS),
            webhook_ca_bundle=webhook_ca_bundle,
        ),
        collections_policy=reader.path("COLLECTIONS_POLICY", "policy/collections.toml"),
        enforcement_mode=reader.choice("ENFORCEMENT_MODE", "shadow", ENFORCEMENT_MODES),
        max_suspensions_per_run=reader.integer("MAX_SUSPENSIONS_PER_RUN", 25, minimum=0),
        enforcement_paused=reader.boolean("ENFORCEMENT_PAUSED", False),
        scan_schedule=reader.schedule("SCAN_SCHEDULE", "0 0 1 * * *"),
        fraud_poll_schedule=reader.schedule("FRAUD_POLL_SCHEDULE", "0 */15 * * * *"),
        reconcile_schedule=reader.schedule("RECONCILE_SCHEDULE", "0 30 * * * *"),
        webhook_secrets=_webhook_secrets(source),
        webhook_tolerance_seconds=reader.integer("WEBHOOK_TOLERANCE_SECONDS", 300, minimum=1),
        operator_roles=reader.names("OPERATOR_ROLES", ("CspGuard.Operator",)),
        function_key=reader.optional("CSPGUARD_FUNCTION_KEY"),
        wechatpay=read_wechatpay(reader),
        alipay=read_alipay(reader),
        allow_future_as_of=reader.boolean("ALLOW_FUTURE_AS_OF", False),
        notices=read_notice_settings(reader),
        full_sweep_schedule=reader.schedule("FULL_SWEEP_SCHEDULE", "0 0 2 * * 0"),
        fraud_poll_call_budget=reader.integer("FRAUD_POLL_CALL_BUDGET", 300, minimum=1),
        fraud_usage_max_age_hours=reader.integer("FRAUD_USAGE_MAX_AGE_HOURS", 24, minimum=1),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read on first use so that importing the app connects to nothing."""
    return load_settings()


def _storage(reader: SettingsReader) -> StorageSettings:
    connection = reader.optional("AzureWebJobsStorage")
    account = reader.optional("AzureWebJobsStorage__accountName")
    table_uri = reader.optional("AzureWebJobsStorage__tableServiceUri")
    queue_uri = reader.optional("AzureWebJobsStorage__queueServiceUri")
    client_id = reader.optional("AzureWebJobsStorage__clientId")
    if connection is None and account is None and table_uri is None:
        connection = "UseDevelopmentStorage=true"
    if connection is not None:
        if connection != "UseDevelopmentStorage=true" and not _parse_connection_string(connection):
            raise SettingsError("AzureWebJobsStorage: not a storage connection string (Key=Value;... pairs)")
        return StorageSettings(connection_string=connection)
    # Identity-based connection, as the Functions host reads it. Azure operated by 21Vianet serves storage
    # under core.chinacloudapi.cn, so that is the default suffix when only the account name is given.
    suffix = reader.text("AZURE_STORAGE_ENDPOINT_SUFFIX", "core.chinacloudapi.cn")
    if account is not None:
        table_uri = table_uri or f"https://{account}.table.{suffix}"
        queue_uri = queue_uri or f"https://{account}.queue.{suffix}"
    if queue_uri is None:
        raise SettingsError("AzureWebJobsStorage__queueServiceUri: required with AzureWebJobsStorage__tableServiceUri")
    return StorageSettings(
        account_name=account, table_endpoint=table_uri, queue_endpoint=queue_uri, managed_identity_client_id=client_id
    )


def _webhook_secrets(env: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    secrets: dict[str, tuple[str, ...]] = {}
    for name, value in env.items():
        if not name.startswith("WEBHOOK_SECRET_"):
            continue
        provider = name.removeprefix("WEBHOOK_SECRET_").lower()
        if not _PROVIDER.match(provider):
            raise SettingsError(f"{name}: the provider part must be letters, digits or underscores")
        # Comma-separated so a secret can be rotated: the new one is added, senders move, the old one is removed.
        parts = tuple(part.strip() for part in value.split(",") if part.strip())
        if not parts:
            raise SettingsError(f"{name}: empty; give one secret, or several separated by commas while rotating")
        secrets[provider] = parts
    return secrets


def _parse_connection_string(value: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for part in value.split(";"):
        if not part.strip():
            continue
        key, sep, val = part.partition("=")
        if not sep or not key.strip():
            return {}
        pairs[key.strip()] = val
    return pairs


def _webhook_ca_bundle(reader: SettingsReader, pc_base_url: str) -> Path | None:
    """A PEM file of extra CAs for Partner Center webhook certificates: the local sandbox's test CA. Refused unless
    Partner Center is a loopback sandbox, so a deployed app always checks the chain against the system store."""
    if reader.optional("PARTNER_CENTER_WEBHOOK_CA_BUNDLE") is None:
        return None
    if not is_loopback_url(pc_base_url):
        raise SettingsError("PARTNER_CENTER_WEBHOOK_CA_BUNDLE: only allowed when PARTNER_CENTER_BASE_URL is a "
                            "loopback address (the local sandbox); Partner Center's certificates are checked against "
                            "the system trust store")
    path = reader.path("PARTNER_CENTER_WEBHOOK_CA_BUNDLE", "")
    if b"-----BEGIN CERTIFICATE-----" not in path.read_bytes():
        raise SettingsError(f"PARTNER_CENTER_WEBHOOK_CA_BUNDLE: {path} holds no PEM certificate")
    return path


def _account_key(connection_string: str | None) -> str | None:
    if not connection_string:
        return None
    return _parse_connection_string(connection_string).get("AccountKey")



