"""Sends one e-mail by SMTP (smtplib), and sorts every failure into transient (retry) or permanent (give up).

Security per SMTP_SECURITY: `starttls` (RFC 3207, the server must offer it; port 587), `tls` (implicit TLS, port
465) or `none` (settings allow it only for a loopback host, i.e. a local mail catcher). Certificates are verified
against the system's trust store (`ssl.create_default_context`, which honours SSL_CERT_FILE). AUTH is used when
SMTP_USERNAME is set, and refused over a connection that is not encrypted.

Reply codes per RFC 5321 section 4.2.1: 4yz is a transient negative completion (try again later), 5yz permanent.
A lost connection or a timeout is transient. If not one recipient was accepted the message was not sent; a partial
refusal still sent it to the others, and is reported, not retried (retrying would mail the accepted ones twice).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from lib.settings import NoticeSettings

TIMEOUT_SECONDS = 30


class MailError(Exception):
    def __init__(self, answer: str) -> None:
        super().__init__(answer)
        self.answer = answer


class TransientMailError(MailError):
    """The server or the network said "not now": the queue retries the notice."""


class PermanentMailError(MailError):
    """The server refused for good (5yz) or there is nobody to send to: the notice fails."""


@dataclass(frozen=True)
class Delivery:
    answer: str  # the server's reply to the end of DATA, e.g. "250 2.0.0 Ok: queued as 4F2A"
    refused: dict[str, str]  # recipients the server refused while accepting the others


class SmtpMailer:
    def __init__(self, settings: NoticeSettings, *, timeout: float = TIMEOUT_SECONDS,
                 context: ssl.SSLContext | None = None) -> None:
        if not settings.smtp_host:
            raise ValueError("SMTP_HOST is not set")
        self._settings = settings
        self._timeout = timeout
        self._context = context or ssl.create_default_context()

    def send(self, message: EmailMessage, sender: str, recipients: list[str]) -> Delivery:
        """One SMTP transaction: MAIL, RCPT per recipient, DATA. Returns the server's answer to DATA, which
        names the message in the server's own log (its queue id)."""
        if not recipients:
            raise PermanentMailError("no recipient")
        try:
            with self._connect() as smtp:
                return self._transaction(smtp, message, sender, recipients)
        except smtplib.SMTPResponseException as exc:
            answer_text = _answer(exc.smtp_code, exc.smtp_error)
            if 400 <= exc.smtp_code < 500:
                raise TransientMailError(answer_text) from exc
            raise PermanentMailError(answer_text) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentMailError(f"the server does not support what SMTP_SECURITY needs: {exc}") from exc
        except (smtplib.SMTPException, OSError) as exc:  # disconnects, refused connections, timeouts, TLS errors
            raise TransientMailError(f"connection: {type(exc).__name__}: {exc}") from exc

    @staticmethod
    def _transaction(smtp: smtplib.SMTP, message: EmailMessage, sender: str, recipients: list[str]) -> Delivery:
        code, text = smtp.mail(sender)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, text, sender)
        refused: dict[str, tuple[int, bytes]] = {}
        for rcpt in recipients:
            code, text = smtp.rcpt(rcpt)
            if code == 421:
                raise smtplib.SMTPResponseException(code, text)
            if code not in (250, 251):
                refused[rcpt] = (code, text)
        if len(refused) == len(recipients):
            smtp.rset()
            summary = "; ".join(f"{rcpt}: {_answer(c, t)}" for rcpt, (c, t) in refused.items())
            if all(c >= 500 for c, _ in refused.values()):
                raise PermanentMailError(f"every recipient refused: {summary}")
            raise TransientMailError(f"recipients deferred: {summary}")
        code, text = smtp.data(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
        if code != 250:
            raise smtplib.SMTPDataError(code, text)
        return Delivery(_answer(code, text), {rcpt: _answer(c, t) for rcpt, (c, t) in refused.items()})

    def _connect(self) -> smtplib.SMTP:
        s = self._settings
        assert s.smtp_host is not None
        smtp: smtplib.SMTP
        if s.smtp_security == "tls":
            smtp = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=self._timeout, context=self._context)
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self._timeout)
        try:
            smtp.ehlo()
            if s.smtp_security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise smtplib.SMTPNotSupportedError("the server does not offer STARTTLS")
                smtp.starttls(context=self._context)
                smtp.ehlo()
            if s.smtp_username:
                if s.smtp_security == "none":
                    raise smtplib.SMTPNotSupportedError("AUTH over an unencrypted connection is refused")
                smtp.login(s.smtp_username, s.smtp_password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


def _answer(code: int, text: bytes | str) -> str:
    return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}".strip()
