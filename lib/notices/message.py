"""The e-mail of a notice: multipart/alternative (plain text, then HTML), with a Message-ID made from the notice.

The Message-ID is the same for every attempt at the same notice (RFC 5322 section 3.6.4: one message, one id),
so if a copy were ever delivered twice, mail systems and readers would see one message. NOTICE_BCC addresses are
envelope recipients only: they never appear in a header the customer sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, parseaddr

from lib.settings import NoticeSettings


@dataclass(frozen=True)
class Envelope:
    message: EmailMessage
    sender: str  # MAIL FROM
    recipients: list[str]  # RCPT TO: to, cc and bcc


def message_id(customer_id: str, notice_id: str, sender: str) -> str:
    domain = parseaddr(sender)[1].rpartition("@")[2] or "csp-guard.invalid"
    return f"<{notice_id}.{customer_id}@{domain}>"


def build_envelope(settings: NoticeSettings, *, customer_id: str, notice_id: str, subject: str, text: str,
                   html: str, to: tuple[str, ...], cc: tuple[str, ...], language: str, when: datetime) -> Envelope:
    if not settings.sender:
        raise ValueError("NOTICE_FROM is not set")
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    if settings.reply_to:
        message["Reply-To"] = settings.reply_to
    message["Subject"] = subject
    message["Date"] = format_datetime(when)
    message["Message-ID"] = message_id(customer_id, notice_id, settings.sender)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to this
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    message["Content-Language"] = language  # after the content: set_content() drops Content-* headers
    sender = parseaddr(settings.sender)[1]
    recipients = [address for _, address in getaddresses([*to, *cc, *settings.bcc]) if address]
    return Envelope(message, sender, list(dict.fromkeys(recipients)))

