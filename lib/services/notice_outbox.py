"""The outbox of customer notices: what the scan calls when a stage notifies and before a suspension.

A notice is a `notices` row first (one per customer, stage episode and template: a second scan, or a concurrent
one, finds the row and makes no second notice), then, where NOTICES_MODE=send, a message on the notices queue.
It is addressed and rendered when made, so the row keeps exactly what the customer is told; if Partner Center
cannot be asked for the billing profile just then, the sender addresses and renders it later.

If the process dies between the insert and the enqueue, the row stays `queued` with no message: `requeue_stale`
(run by every scan) sends a message for such rows; a message too many is harmless because the sender is
exactly-once on the row.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from lib.domain.notice_facts import PRE_SUSPENSION, STAGE_NOTICE, NoticeFacts, notice_facts
from lib.domain.notice_period import GivenNotice, NoticePeriodVerdict, given_on, judge
from lib.domain.policy import CollectionsPolicy, Hold
from lib.domain.summary import LedgerSummary
from lib.notices.message import message_id
from lib.notices.render import NoticeRenderer, NoticeTemplateError, RenderedNotice
from lib.partner_center.errors import PartnerCenterError
from lib.services.notice_addressing import NoticeAddressing
from lib.services.write_gate import Verdict, decide_notice
from lib.store.notices import Notice, Notices, notice_id
from lib.store.queues import MessageQueue

log = logging.getLogger("csp_guard.notices")
STALE_QUEUED = timedelta(minutes=15)


class NoticeOutbox:
    def __init__(self, policy: CollectionsPolicy, notices: Notices, renderer: NoticeRenderer,
                 addressing: NoticeAddressing, queue: Callable[[], MessageQueue], *, mode: str,
                 sender: str | None, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._policy = policy
        self._notices = notices
        self._renderer = renderer
        self._addressing = addressing
        self._queue = queue  # created on first use: record mode never touches the queue
        self._mode = mode
        self._sender = sender
        self._clock = clock

    @property
    def record_mode(self) -> bool:
        return decide_notice(self._mode) is Verdict.RECORD

    def begin_episode(self, customer_id: str, summary: LedgerSummary) -> int:
        """The customer left "current" with this book; the episode's number (the same one when called again for the
        same book)."""
        return self._notices.start_episode(customer_id, f"v{summary.version}")

    def stage_reached(self, customer_id: str, stage: str, summary: LedgerSummary, *, hold: Hold | None,
                      as_of: datetime, episode: int | None = None) -> Notice | None:
        """The notice of a stage with `notify`; None when this episode already has it. `episode`: the number
        `begin_episode` just gave, which saves reading it again."""
        return self._make(customer_id, stage, STAGE_NOTICE, summary, hold, as_of, episode=episode)

    def before_suspension(self, customer_id: str, stage: str, summary: LedgerSummary, *, hold: Hold | None,
                          as_of: datetime) -> NoticePeriodVerdict:
        """May the customer be suspended for non-payment today? Makes the pre-suspension notice when no notice of
        this episode names a date (and with no notice period, that notice allows the suspension at once)."""
        today = as_of.astimezone(self._policy.zone).date()
        days = self._policy.notices.notice_days_before_suspension
        episode = self._notices.current_episode(customer_id)
        notices = self._notices.for_customer(customer_id, episode=episode)
        given = [self._given(n) for n in notices]
        verdict = judge(given, today, days)
        if verdict.needs_notice:
            made = self._make(customer_id, stage, PRE_SUSPENSION, summary, hold, as_of,
                              attempt=self._pre_suspension_attempt(customer_id, notices))
            if made is not None:
                verdict = judge([*given, dataclasses.replace(self._given(made), made_now=True)], today, days)
        return verdict

    def suspension_waits(self, customer_id: str, as_of: datetime, *, new_episode: bool) -> bool:
        """Read-only (for a scan preview): would the notice period hold back a suspension decided now?"""
        days = self._policy.notices.notice_days_before_suspension
        episode = 0 if new_episode else self._notices.episode(customer_id)
        notices = self._notices.for_customer(customer_id, episode=episode) if episode else []
        verdict = judge([self._given(n) for n in notices], as_of.astimezone(self._policy.zone).date(), days)
        return not verdict.allowed and not (verdict.needs_notice and days == 0)

    def suspension_not_before(self, customer_id: str, as_of: datetime) -> date | None:
        """Read-only (for the console): the first local date the notice period allows a suspension for non-payment,
        from this episode's notices; with none naming a date yet, the next scan makes that notice, so `as_of` plus
        the period. None when the policy gives no notice period."""
        days = self._policy.notices.notice_days_before_suspension
        if days == 0:
            return None
        today = as_of.astimezone(self._policy.zone).date()
        episode = self._notices.episode(customer_id)
        notices = self._notices.for_customer(customer_id, episode=episode) if episode else []
        verdict = judge([self._given(n) for n in notices], today, days)
        return verdict.earliest or today + timedelta(days=days)

    def requeue_stale(self) -> int:
        """Queued notices whose message may have been lost (the process died before sending it) get one."""
        if self.record_mode:
            return 0
        cutoff = datetime.now(UTC) - STALE_QUEUED
        stale = [n for n in self._notices.with_status("queued") if n.updated_at is None or n.updated_at < cutoff]
        for notice in stale:
            self._enqueue(notice)
        return len(stale)

    def prepare(self, notice: Notice) -> Notice:
        """Addressed and rendered: recipients, language, subject, text, HTML and Message-ID. Partner Center faults
        propagate; a template fault is recorded on the notice (it fails when sent, and operators are told)."""
        address = self._addressing.resolve(notice.customer_id)
        facts = NoticeFacts.from_json(dict(notice.facts))
        if address.company_name and address.company_name != facts.company_name:
            facts = dataclasses.replace(facts, company_name=address.company_name)
        try:
            rendered = self._renderer.render(facts, address.language)
        except NoticeTemplateError as exc:
            return dataclasses.replace(notice, to=address.to, cc=address.cc, language=None,
                                       last_error=f"template: {exc}")
        return dataclasses.replace(
            notice, facts=facts.as_json(), language=rendered.language, to=address.to, cc=address.cc,
            subject=rendered.subject, text=rendered.text, html=rendered.html,
            message_id=message_id(notice.customer_id, notice.notice_id, self._sender or ""))

    def preview(self, customer_id: str, stage: str, summary: LedgerSummary, *, hold: Hold | None, as_of: datetime,
                lang: str | None) -> tuple[NoticeFacts, RenderedNotice]:
        """The notice the customer would get now for `stage` (or `pre_suspension`); nothing is stored or sent."""
        address = self._addressing.resolve(customer_id)
        kind = PRE_SUSPENSION if stage == PRE_SUSPENSION else STAGE_NOTICE
        stage_name = self._suspension_stage() if kind == PRE_SUSPENSION else stage
        self._policy.stage(stage_name)  # UnknownStageError for a stage the policy does not define
        facts = notice_facts(self._policy, customer_id, address.company_name or customer_id, summary,
                             stage=stage_name, kind=kind, as_of=as_of, hold=hold)
        return facts, self._renderer.render(facts, lang or address.language)

    def _pre_suspension_attempt(self, customer_id: str, notices: list[Notice]) -> int:
        """1 for the first notice before suspension of an episode. After one failed, another is made only once the
        operators changed the customer's contacts since (otherwise it would fail again, and alert, every day)."""
        earlier = [n for n in notices if n.kind == PRE_SUSPENSION]
        if not earlier:
            return 1
        last = max(earlier, key=lambda n: n.created_at or n.as_of)
        changed = self._addressing.contacts_changed_at(customer_id)
        if last.status == "failed" and changed is not None and last.updated_at is not None \
                and changed > last.updated_at:
            return len(earlier) + 1
        return len(earlier)  # the same id again: the insert finds it and nothing new is made

    def _make(self, customer_id: str, stage: str, kind: str, summary: LedgerSummary, hold: Hold | None,
              as_of: datetime, *, attempt: int = 1, episode: int | None = None) -> Notice | None:
        episode = episode or self._notices.current_episode(customer_id)
        facts = notice_facts(self._policy, customer_id, "", summary, stage=stage, kind=kind, as_of=as_of, hold=hold)
        template = PRE_SUSPENSION if kind == PRE_SUSPENSION else stage
        name = template if attempt == 1 else f"{template}-{attempt}"
        draft = Notice(customer_id=customer_id, notice_id=notice_id(episode, name), episode=episode, stage=stage,
                       kind=kind, status="recorded" if self.record_mode else "queued", facts=facts.as_json(),
                       as_of=as_of, suspension_date=facts.suspension_date)
        try:
            draft = self.prepare(draft)
        except PartnerCenterError as exc:
            log.warning("notice %s for %s made unaddressed (the sender retries): %s", draft.notice_id,
                        customer_id, exc)
            draft = dataclasses.replace(draft, last_error=f"partner center: {exc}")
        made = self._notices.create(draft)
        if made is not None and not self.record_mode:
            self._enqueue(made)
        return made

    def _enqueue(self, notice: Notice) -> None:
        self._queue().send_json({"customer_id": notice.customer_id, "notice_id": notice.notice_id})

    def _given(self, notice: Notice) -> GivenNotice:
        effective = self._effective_date(notice)
        return GivenNotice(notice.suspension_date, given_on(notice.status, effective, record_mode=self.record_mode),
                           failed=notice.status == "failed")

    def _effective_date(self, notice: Notice) -> date:
        """A notice counts from the later of the day it went out and the as-of day of the scan that made it, so a
        replayed timeline (`--as-of` in the future) cannot count a notice as given before its scan's day."""
        zone = self._policy.zone
        made = notice.as_of.astimezone(zone).date()
        sent = notice.sent_at.astimezone(zone).date() if notice.sent_at else made
        return max(made, sent)

    def _suspension_stage(self) -> str:
        return next((s.name for s in self._policy.stages if "suspend" in s.actions), self._policy.stages[-1].name)
