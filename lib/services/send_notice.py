"""The notices queue's work: mail one notice, exactly once.

The notice row is claimed (`queued` -> `sending`, ETag-guarded) before SMTP is spoken and marked `sent` after the
server accepted the message, so:
- a redelivered message, or a second message for the same notice, finds `sent` (or `failed`) and does nothing;
- two deliveries at once race on the claim's ETag and only one of them talks to SMTP;
- a transient failure (4yz, a lost connection) puts the row back to `queued` and raises, so the queue retries it;
  on the last delivery host.json allows, the notice is marked `failed` instead and operators are alerted;
- a permanent failure (5yz, no recipient) marks it `failed` with the server's answer and alerts operators.

The crash window, and the choice made: if the process dies after the server accepted the message but before the
row says `sent`, the row is left `sending`. Whether the customer got the mail is then unknown, and the only two
answers are to send again (maybe twice) or not (maybe never). csp-guard never mails twice: a delivery that finds a
claim older than SENDING_LEASE marks the notice `failed` with "outcome unknown" and the Message-ID, and alerts
operators, who can find it in the mail server's log. A claim younger than that is another worker still sending, so
the delivery is retried later. The notice period rule does not count a failed notice, so no suspension follows an
unknown one.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from lib.domain.event_fields import EventValidationError, customer_id_field
from lib.notices.message import build_envelope
from lib.notices.smtp_mailer import PermanentMailError, SmtpMailer, TransientMailError
from lib.services.notice_outbox import NoticeOutbox
from lib.services.queue_delivery import MAX_DELIVERIES
from lib.services.write_gate import Verdict, decide_notice
from lib.settings import NoticeSettings
from lib.store.errors import ConcurrencyConflict
from lib.store.notices import Notice, Notices

log = logging.getLogger("csp_guard.notices")
SENDING_LEASE = timedelta(seconds=90)  # longer than one SMTP transaction can take with its 30 s socket timeouts
Alert = Callable[[str, str, dict[str, object]], None]


class InvalidNoticeMessage(ValueError):
    """A queue message that can never succeed: it goes straight to the poison queue."""


class NoticeDeferred(RuntimeError):
    """Not sent this time (transient SMTP failure, or another worker holds the notice): the queue retries."""


def log_alert(kind: str, summary: str, details: dict[str, object]) -> None:
    log.error("operator alert %s: %s %s", kind, summary, details)


def parse_notice_message(body: bytes) -> tuple[str, str]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidNoticeMessage(f"not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("notice_id"), str) or not data["notice_id"]:
        raise InvalidNoticeMessage("expected {\"customer_id\": ..., \"notice_id\": ...}")
    try:
        return customer_id_field(data.get("customer_id"), "customer_id"), data["notice_id"]
    except EventValidationError as exc:
        raise InvalidNoticeMessage(str(exc)) from None


class NoticeSender:
    def __init__(self, notices: Notices, outbox: NoticeOutbox, settings: NoticeSettings, *,
                 mailer: Callable[[], SmtpMailer], alert: Alert = log_alert,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._notices = notices
        self._outbox = outbox
        self._settings = settings
        self._mailer = mailer
        self._alert = alert
        self._clock = clock

    def handle(self, body: bytes, *, delivery: int = 1) -> Notice | None:
        customer_id, notice_id = parse_notice_message(body)
        notice = self._notices.get(customer_id, notice_id)
        if notice is None:
            log.warning("notice %s/%s not found; nothing to send", customer_id, notice_id)
            return None
        if notice.status in ("sent", "failed", "recorded"):
            return notice  # done already: a redelivery or a second message
        if notice.status == "sending":
            return self._claimed_elsewhere(notice)
        if decide_notice(self._settings.mode) is Verdict.RECORD:
            return self._notices.save(dataclasses.replace(notice, status="recorded"))
        if not notice.rendered:
            notice = self._notices.save(self._outbox.prepare(notice))  # Partner Center faults: the queue retries
        if not notice.rendered:
            return self._fail(notice, notice.last_error or "could not be rendered")
        if not notice.to:
            return self._fail(notice, "no recipient: no contacts and no e-mail in the billing profile")
        try:
            claimed = self._notices.save(dataclasses.replace(notice, status="sending", sending_since=self._clock(),
                                                             attempts=notice.attempts + 1))
        except ConcurrencyConflict:
            log.info("notice %s is being handled by another delivery", notice_id)
            return None
        return self._send(claimed, delivery)

    def _send(self, notice: Notice, delivery: int) -> Notice:
        envelope = build_envelope(self._settings, customer_id=notice.customer_id, notice_id=notice.notice_id,
                                  subject=notice.subject, text=notice.text, html=notice.html, to=notice.to,
                                  cc=notice.cc, language=notice.language or "zh-CN", when=self._clock())
        try:
            result = self._mailer().send(envelope.message, envelope.sender, envelope.recipients)
        except PermanentMailError as exc:
            return self._fail(notice, exc.answer)
        except TransientMailError as exc:
            if delivery >= MAX_DELIVERIES:
                return self._fail(notice, f"gave up after {delivery} deliveries: {exc.answer}")
            self._notices.save(dataclasses.replace(notice, status="queued", sending_since=None,
                                                   last_error=exc.answer))
            raise NoticeDeferred(f"notice {notice.notice_id}: {exc.answer}") from exc
        answer = result.answer + (f"; refused: {result.refused}" if result.refused else "")
        sent = dataclasses.replace(notice, status="sent", sent_at=self._clock(), smtp_answer=answer,
                                   message_id=str(envelope.message["Message-ID"]), last_error=None)
        try:
            return self._notices.save(sent)
        except ConcurrencyConflict:
            # A later delivery judged the claim lost while this one was still sending. The mail went: say so.
            current = self._notices.get(notice.customer_id, notice.notice_id)
            return self._notices.save(dataclasses.replace(sent, etag=current.etag if current else None))

    def _claimed_elsewhere(self, notice: Notice) -> Notice | None:
        since = notice.sending_since or notice.updated_at
        if since is not None and self._clock() - since < SENDING_LEASE:
            raise NoticeDeferred(f"notice {notice.notice_id} is being sent by another delivery")
        return self._fail(notice, f"outcome unknown: the sender stopped during SMTP; look for Message-ID "
                                  f"{notice.message_id} in the mail server's log before sending it again")

    def _fail(self, notice: Notice, answer: str) -> Notice:
        try:
            failed = self._notices.save(dataclasses.replace(notice, status="failed", smtp_answer=answer,
                                                            last_error=answer))
        except ConcurrencyConflict:
            return self._notices.get(notice.customer_id, notice.notice_id) or notice
        self._alert("notice_failed", f"notice {notice.notice_id} to customer {notice.customer_id} failed: {answer}",
                    {"customer_id": notice.customer_id, "notice_id": notice.notice_id, "stage": notice.stage,
                     "to": list(notice.to), "answer": answer})
        return failed
