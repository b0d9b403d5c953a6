"""Customer notices' settings: NOTICES_MODE, the SMTP server, the sender, and the operators' alert URLs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lib.http_basics import is_loopback_host
from lib.settings_reader import SettingsError, SettingsReader

_ADDRESS = re.compile(r"^[^@\s<>,]+@[^@\s<>,]+\.[^@\s<>,]+$")
_MAILBOX = re.compile(r"^(?:[^<>@]*<[^@\s<>,]+@[^@\s<>,]+\.[^@\s<>,]+>|[^@\s<>,]+@[^@\s<>,]+\.[^@\s<>,]+)$")
QUEUE_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,55}$")

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


def read_notice_settings(reader: SettingsReader) -> NoticeSettings:
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
        queue=reader.matching("NOTICES_QUEUE", "notices", QUEUE_NAME,
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
