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
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

from lib.http_basics import is_loopback_host, is_loopback_url
from lib.ncrontab import CronError, parse_ncrontab

ENFORCEMENT_MODES = ("shadow", "enforce", "review")
# Where the issuers of Microsoft's certificates are published (their AIA caIssuers URLs).
WEBHOOK_ISSUER_HOSTS = ("www.microsoft.com", "cacerts.digicert.com")
_TABLE_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,39}$")
_QUEUE_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,55}$")
_PROVIDER = re.compile(r"^[a-z0-9_]+$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_LOCALE = re.compile(r"^[a-z]{2}-[A-Z]{2}$")
_ADDRESS = re.compile(r"^[^@\s<>,]+@[^@\s<>,]+\.[^@\s<>,]+$")
_MAILBOX = re.compile(r"^(?:[^<>@]*<[^@\s<>,]+@[^@\s<>,]+\.[^@\s<>,]+>|[^@\s<>,]+@[^@\s<>,]+\.[^@\s<>,]+)$")
APP_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A setting is missing or malformed. The message names it."""


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
class WeChatPaySettings:
    mchid: str
    apiv3_key: str = field(repr=False)
    platform_public_key: str  # PEM
    platform_public_key_id: str


@dataclass(frozen=True)
class AlipaySettings:
    app_id: str
    public_key: str  # PEM


NOTICES_MODES = ("record", "send")
SMTP_SECURITY = ("starttls", "tls", "none")


@dataclass(frozen=True)
class NoticeSettings:
    """Customer notices: NOTICES_MODE, the SMTP server, the sender and the operators' alert URLs."""

    mode: str = "record"
    queue: str = "notices"
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    sender: str | None = None  # NOTICE_FROM, "Name <address>"
    reply_to: str | None = None
    bcc: tuple[str, ...] = ()
    ops_alert_urls: tuple[str, ...] = field(default=(), repr=False)  # Apprise URLs carry robot keys

    @property
    def sending(self) -> bool:
        return self.mode == "send"


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
    reader = _Reader(source)
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
        wechatpay=_wechatpay(reader),
        alipay=_alipay(reader),
        allow_future_as_of=reader.boolean("ALLOW_FUTURE_AS_OF", False),
        notices=_notices(reader),
        full_sweep_schedule=reader.schedule("FULL_SWEEP_SCHEDULE", "0 0 2 * * 0"),
        fraud_poll_call_budget=reader.integer("FRAUD_POLL_CALL_BUDGET", 300, minimum=1),
        fraud_usage_max_age_hours=reader.integer("FRAUD_USAGE_MAX_AGE_HOURS", 24, minimum=1),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read on first use so that importing the app connects to nothing."""
    return load_settings()


def _storage(reader: _Reader) -> StorageSettings:
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


def _notices(reader: _Reader) -> NoticeSettings:
    mode = reader.choice("NOTICES_MODE", "record", NOTICES_MODES)
    host = reader.optional("SMTP_HOST")
    security = reader.choice("SMTP_SECURITY", "starttls", SMTP_SECURITY)
    if security == "none" and host is not None and not is_loopback_host(host):
        raise SettingsError(f"SMTP_SECURITY: 'none' is only allowed for a loopback SMTP_HOST, not {host!r}")
    sender = reader.optional("NOTICE_FROM")
    if mode == "send" and host is None:
        raise SettingsError("SMTP_HOST: required when NOTICES_MODE=send")
    if mode == "send" and sender is None:
        raise SettingsError("NOTICE_FROM: required when NOTICES_MODE=send (e.g. 'Billing <billing@example.cn>')")
    for name, value in (("NOTICE_FROM", sender), ("NOTICE_REPLY_TO", reader.optional("NOTICE_REPLY_TO"))):
        if value is not None and not _MAILBOX.match(value):
            raise SettingsError(f"{name}: {value!r} is not an e-mail address or 'Name <address>'")
    bcc = tuple(part.strip() for part in (reader.optional("NOTICE_BCC") or "").split(",") if part.strip())
    for address in bcc:
        if not _ADDRESS.match(address):
            raise SettingsError(f"NOTICE_BCC: {address!r} is not an e-mail address")
    urls = tuple(part.strip() for part in (reader.optional("OPS_ALERT_URLS") or "").split(",") if part.strip())
    for url in urls:
        if "://" not in url:
            raise SettingsError("OPS_ALERT_URLS: each entry must be an Apprise URL such as wecombot://KEY")
    return NoticeSettings(
        mode=mode,
        queue=reader.matching("NOTICES_QUEUE", "notices", _QUEUE_NAME,
                              "a storage queue name: 3-56 lower-case letters, digits, hyphens"),
        smtp_host=host,
        smtp_port=reader.integer("SMTP_PORT", 587, minimum=1),
        smtp_security=security,
        smtp_username=reader.optional("SMTP_USERNAME"),
        smtp_password=reader.optional("SMTP_PASSWORD"),
        sender=sender,
        reply_to=reader.optional("NOTICE_REPLY_TO"),
        bcc=bcc,
        ops_alert_urls=urls,
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


def _webhook_ca_bundle(reader: _Reader, pc_base_url: str) -> Path | None:
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


class _Reader:
    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def optional(self, name: str) -> str | None:
        value = self._env.get(name)
        if value is None or not value.strip():
            return None
        return value.strip()

    def text(self, name: str, default: str) -> str:
        return self.optional(name) or default

    def matching(self, name: str, default: str, pattern: re.Pattern[str], expected: str) -> str:
        value = self.text(name, default)
        if not pattern.match(value):
            raise SettingsError(f"{name}: {value!r} is not {expected}")
        return value

    def optional_matching(self, name: str, pattern: re.Pattern[str], expected: str) -> str | None:
        value = self.optional(name)
        if value is not None and not pattern.match(value):
            raise SettingsError(f"{name}: {value!r} is not {expected}")
        return value

    def url(self, name: str, default: str) -> str:
        value = self.text(name, default).rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(f"{name}: {value!r} is not an http(s) URL")
        if parts.scheme == "http" and not is_loopback_url(value):
            raise SettingsError(f"{name}: plain http is only allowed for loopback addresses; use https")
        return value

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.text(name, default).lower()
        if value not in choices:
            raise SettingsError(f"{name}: {value!r} is not one of {', '.join(choices)}")
        return value

    def integer(self, name: str, default: int, *, minimum: int) -> int:
        raw = self.optional(name)
        if raw is None:
            return default
        try:
            value = int(raw, 10)
        except ValueError:
            raise SettingsError(f"{name}: {raw!r} is not a whole number") from None
        if value < minimum:
            raise SettingsError(f"{name}: {value} is below the minimum {minimum}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        raw = self.optional(name)
        if raw is None:
            return default
        lowered = raw.lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        raise SettingsError(f"{name}: {raw!r} is not true or false")

    def schedule(self, name: str, default: str) -> str:
        value = self.text(name, default)
        try:
            parse_ncrontab(value)
        except CronError as exc:
            raise SettingsError(f"{name}: {exc}") from None
        return value

    def path(self, name: str, default: str) -> Path:
        raw = Path(self.text(name, default))
        path = raw if raw.is_absolute() else APP_ROOT / raw
        if not path.is_file():
            raise SettingsError(f"{name}: no file at {path}")
        return path

    def names(self, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        raw = self.optional(name)
        if raw is None:
            return default
        values = tuple(part.strip() for part in raw.split(",") if part.strip())
        if not values:
            raise SettingsError(f"{name}: give at least one role name")
        return values


def _channel(given: dict[str, str | None]) -> dict[str, str] | None:
    """A payment channel's settings: all of them, or none (the channel is then not offered: 404)."""
    if not any(given.values()):
        return None
    for name, value in given.items():
        if value is None:
            raise SettingsError(f"{name}: required with {', '.join(n for n, v in given.items() if v)}")
    return {name: value for name, value in given.items() if value is not None}


def _public_key_pem(name: str, value: str) -> str:
    """PEM text; app settings often hold it with literal \\n, and Alipay's console shows the bare base64 body."""
    text = value.replace("\\n", "\n").strip()
    if not text.startswith("-----BEGIN"):
        text = "-----BEGIN PUBLIC KEY-----\n" + "".join(text.split()) + "\n-----END PUBLIC KEY-----"
    try:
        key = load_pem_public_key(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise SettingsError(f"{name}: not a PEM public key") from None
    if not isinstance(key, RSAPublicKey):
        raise SettingsError(f"{name}: not an RSA public key")
    return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def _wechatpay(reader: _Reader) -> WeChatPaySettings | None:
    # Each name is read literally, so tests/unit/infra sees that the deployment sets it.
    given = _channel({"WECHATPAY_MCHID": reader.optional("WECHATPAY_MCHID"),
                      "WECHATPAY_APIV3_KEY": reader.optional("WECHATPAY_APIV3_KEY"),
                      "WECHATPAY_PLATFORM_PUBLIC_KEY": reader.optional("WECHATPAY_PLATFORM_PUBLIC_KEY"),
                      "WECHATPAY_PLATFORM_PUBLIC_KEY_ID": reader.optional("WECHATPAY_PLATFORM_PUBLIC_KEY_ID")})
    if given is None:
        return None
    mchid, key = given["WECHATPAY_MCHID"], given["WECHATPAY_APIV3_KEY"]
    if not mchid.isascii() or not mchid.isdigit():
        raise SettingsError(f"WECHATPAY_MCHID: {mchid!r} is not a merchant number (digits)")
    if len(key.encode("utf-8")) != 32:
        raise SettingsError("WECHATPAY_APIV3_KEY: must be exactly 32 bytes (the APIv3 key set in the merchant portal)")
    return WeChatPaySettings(
        mchid=mchid, apiv3_key=key, platform_public_key_id=given["WECHATPAY_PLATFORM_PUBLIC_KEY_ID"],
        platform_public_key=_public_key_pem("WECHATPAY_PLATFORM_PUBLIC_KEY", given["WECHATPAY_PLATFORM_PUBLIC_KEY"]))


def _alipay(reader: _Reader) -> AlipaySettings | None:
    given = _channel({"ALIPAY_APP_ID": reader.optional("ALIPAY_APP_ID"),
                      "ALIPAY_PUBLIC_KEY": reader.optional("ALIPAY_PUBLIC_KEY")})
    if given is None:
        return None
    app_id = given["ALIPAY_APP_ID"]
    if not app_id.isascii() or not app_id.isdigit():
        raise SettingsError(f"ALIPAY_APP_ID: {app_id!r} is not an Alipay app id (digits)")
    return AlipaySettings(app_id=app_id, public_key=_public_key_pem("ALIPAY_PUBLIC_KEY", given["ALIPAY_PUBLIC_KEY"]))
