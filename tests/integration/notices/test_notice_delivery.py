"""Notices from the scan to a real SMTP server (STARTTLS, AUTH): language, content, exactly once, failures."""

import dataclasses
import threading
from datetime import UTC, datetime, timedelta

import pytest

from lib.app_context import get_context
from lib.domain.events import parse_canonical
from lib.services.send_notice import NoticeDeferred
from lib.store.contacts import Contacts
from lib.store.notices import notice_id
from tests.integration.notices.notice_world import (
    EN_PROFILE,
    ZH_PROFILE,
    customer_with_invoice,
    deliver_invoice,
    drain,
    notices_of,
    scan,
)
from tests.support.billing_events import payment_succeeded

pytestmark = pytest.mark.integration


def parts(message):
    return {part.get_content_type(): part.get_content() for part in message.iter_parts()}


@pytest.fixture
def alerts():
    raised = []
    get_context().ops_alert = lambda kind, summary, details: raised.append((kind, summary, details))
    return raised


def test_each_customer_gets_the_reminder_in_its_language_with_the_facts_and_the_next_date(notice_env, pc_sandbox,
                                                                                          mailbox):
    zh = customer_with_invoice(pc_sandbox, ZH_PROFILE)
    en = customer_with_invoice(pc_sandbox, EN_PROFILE, company="Contoso (Shanghai) Ltd.")
    scan("2026-12-01")
    drain()
    by_rcpt = {m.recipients[0]: m for m in mailbox.messages()}
    assert set(by_rcpt) == {"caiwu@yunfan.example.cn", "ap@contoso.example.cn"}
    zh_mail, en_mail = by_rcpt["caiwu@yunfan.example.cn"], by_rcpt["ap@contoso.example.cn"]
    assert zh_mail.message["Subject"] == "付款提醒：逾期金额 ¥12,500.00"
    zh_text = parts(zh_mail.message)["text/plain"]
    for expected in ("上海云帆科技有限公司：", "INV-2026-11-0042，到期日 2026年11月30日，未付 ¥12,500.00", "逾期 1 天",
                     "我们将于 2026年12月15日 向贵方发送进一步通知", "billing@example.cn"):
        assert expected in zh_text
    en_text = parts(en_mail.message)["text/plain"]
    assert "Dear Contoso (Shanghai) Ltd.," in en_text and "we will send you a further notice on 15 December 2026" \
        in en_text
    assert en_mail.message["Content-Language"] == "en" and zh_mail.message["Content-Language"] == "zh-CN"
    assert zh_mail.message["Message-ID"].strip() == f"<{notice_id(1, 'reminder')}.{zh}@partner.example.cn>"
    assert zh_mail.message["Reply-To"] == "ar@partner.example.cn"
    assert "archive@partner.example.cn" in zh_mail.recipients  # NOTICE_BCC, in the envelope only
    [row] = notices_of(zh)
    assert (row.status, row.language, row.to, row.stage) == ("sent", "zh-CN", ("caiwu@yunfan.example.cn",),
                                                             "reminder")
    assert row.smtp_answer.startswith("250 2.0.0 Ok: queued as")
    assert [(n.language, n.status) for n in notices_of(en)] == [("en", "sent")]


def test_contacts_override_the_billing_profile_recipient_and_language(notice_env, pc_sandbox, mailbox):
    customer = customer_with_invoice(pc_sandbox, ZH_PROFILE)
    get_context().contacts.put(customer, Contacts(("cfo@yunfan.example.cn",), ("ap@yunfan.example.cn",), "en"),
                               actor="ops")
    scan("2026-12-01")
    drain()
    [mail] = mailbox.messages()
    assert mail.recipients[:2] == ["cfo@yunfan.example.cn", "ap@yunfan.example.cn"]
    assert mail.message["Cc"] == "ap@yunfan.example.cn" and mail.message["Subject"].startswith("Payment reminder")


def test_redelivered_messages_and_repeated_scans_never_mail_twice(notice_env, pc_sandbox, mailbox):
    customer = customer_with_invoice(pc_sandbox, ZH_PROFILE)
    scan("2026-12-01")
    drain()
    context = get_context()
    for _ in range(3):  # the queue delivers the same message again (at-least-once)
        context.notices_queue.send_json({"customer_id": customer, "notice_id": notice_id(1, "reminder")})
    scan("2026-12-02")
    scan("2026-12-03")
    drain()
    assert len(mailbox.messages()) == 1 and [n.status for n in notices_of(customer)] == ["sent"]


def test_concurrent_deliveries_of_one_notice_send_one_mail(notice_env, pc_sandbox, mailbox):
    customer = customer_with_invoice(pc_sandbox, ZH_PROFILE)
    scan("2026-12-01")
    body = f'{{"customer_id": "{customer}", "notice_id": "{notice_id(1, "reminder")}"}}'.encode()
    results, start = [], threading.Barrier(4)

    def deliver():
        start.wait()
        try:
            results.append(get_context().notice_sender().handle(body))
        except NoticeDeferred as exc:  # another delivery held the claim: the queue would retry this one
            results.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(mailbox.messages()) == 1
    assert notices_of(customer)[0].status == "sent"


def test_concurrent_scans_of_the_same_day_make_one_notice(notice_env, pc_sandbox, mailbox):
    customer = customer_with_invoice(pc_sandbox, ZH_PROFILE)
    context = get_context()
    summary = context.ledger.load(customer).summary
    as_of = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
    made, start = [], threading.Barrier(4)

    def stage_reached():
        start.wait()
        made.append(context.notice_outbox().stage_reached(customer, "reminder", summary, hold=None, as_of=as_of))

    threads = [threading.Thread(target=stage_reached) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(notice is not None for notice in made) == 1
    drain()
    assert len(mailbox.messages()) == 1


def test_a_transient_smtp_answer_is_retried_through_the_queue_and_mails_once(notice_env, pc_sandbox, mailbox):
    customer = customer_with_invoice(pc_sandbox, ZH_PROFILE)
    mailbox.answer("DATA", "451 4.3.0 Mailbox temporarily unavailable")
    scan("2026-12-01")
    drain()
    [row] = notices_of(customer)
    assert row.status == "sent" and row.attempts == 2 and len(mailbox.messages()) == 1


def test_transient_answers_on_every_delivery_end_failed_with_an_alert(notice_env, pc_sandbox, mailbox, alerts):
    customer = customer_with_invoice(pc_sandbox, ZH_PROFILE)
    mailbox.answer("DATA", "421 4.7.0 Try again later", times=10)
    scan("2026-12-01")
    drain(rounds=8)
    [row] = notices_of(customer)
    assert row.status == "failed" and "gave up after 5 deliveries: 421 4.7.0" in row.smtp_answer
    assert [kind for kind, _, _ in alerts] == ["notice_failed"]
    assert get_context().notices_queue.approximate_count(poison=True) == 0


def test_a_permanent_refusal_fails_the_notice_with_the_answer_and_alerts_operators(notice_env, pc_sandbox, mailbox,
                                                                                   alerts):
    customer = customer_with_invoice(pc_sandbox, ZH_PROFILE)
    mailbox.answer("RCPT", "550 5.1.1 No such user", times=2)
    scan("2026-12-01")
    drain()
    [row] = notices_of(customer)
    assert row.status == "failed" and "550 5.1.1 No such user" in row.smtp_answer
    assert alerts[0][0] == "notice_failed" and alerts[0][2]["customer_id"] == customer
    assert [n.notice_id for n in get_context().notices.with_status("failed")] == [row.notice_id]


def test_a_customer_without_an_email_anywhere_fails_as_no_recipient(notice_env, pc_sandbox, mailbox, alerts):
    customer = customer_with_invoice(pc_sandbox, {"culture": "zh-CN"})
    scan("2026-12-01")
    drain()
    [row] = notices_of(customer)
    assert row.status == "failed" and row.smtp_answer.startswith("no recipient")
    assert mailbox.messages() == [] and alerts


def test_a_crash_after_sending_is_never_followed_by_a_second_mail(notice_env, pc_sandbox, mailbox, alerts):
    customer = customer_with_invoice(pc_sandbox, ZH_PROFILE)
    scan("2026-12-01")
    context = get_context()
    [row] = notices_of(customer)
    # What a process that died after SMTP accepted the mail leaves behind: the claim, never marked sent.
    context.notices.save(dataclasses.replace(row, status="sending", attempts=1,
                                             sending_since=context.clock() - timedelta(seconds=20)))
    body = f'{{"customer_id": "{customer}", "notice_id": "{row.notice_id}"}}'.encode()
    with pytest.raises(NoticeDeferred):  # still within the lease: maybe another worker is sending
        context.notice_sender().handle(body)
    stale = notices_of(customer)[0]
    context.notices.save(dataclasses.replace(stale, sending_since=context.clock() - timedelta(minutes=5)))
    drain()
    [after] = notices_of(customer)
    assert after.status == "failed" and after.smtp_answer.startswith("outcome unknown")
    assert row.message_id in after.smtp_answer and mailbox.messages() == []
    assert alerts and alerts[0][0] == "notice_failed"


def test_a_stage_reached_again_after_paying_is_a_new_episode_with_its_own_notice(notice_env, pc_sandbox, mailbox):
    customer = customer_with_invoice(pc_sandbox, ZH_PROFILE)
    scan("2026-12-01")
    get_context().ingestion().ingest(parse_canonical(
        "standard", "pay-all", payment_succeeded(customer, "PAY-1", 1_250_000, invoice_id="INV-2026-11-0042")))
    scan("2026-12-05")
    deliver_invoice(customer, "INV-2026-12-0007", 300_000, "2026-12-31T23:59:59+08:00")
    scan("2027-01-01")
    drain()
    assert [n.notice_id for n in notices_of(customer)] == [notice_id(1, "reminder"), notice_id(2, "reminder")]
    assert len(mailbox.messages()) == 2


def test_record_mode_renders_and_keeps_every_notice_and_sends_none(app_env, pc_sandbox, mailbox):
    customer = customer_with_invoice(pc_sandbox, EN_PROFILE)
    scan("2026-12-01")
    [row] = notices_of(customer)
    assert row.status == "recorded" and row.subject == "Payment reminder: ¥12,500.00 overdue"
    assert "15 December 2026" in row.text and row.to == ("ap@contoso.example.cn",)
    assert get_context().notices_queue.approximate_count() == 0 and mailbox.messages() == []


def test_a_message_that_can_never_be_sent_is_poisoned_at_once_and_operators_are_told(notice_env, mailbox, alerts):
    queue = get_context().notices_queue
    queue.send_json({"notice_id": "n-0001-reminder", "customer_id": "not-a-tenant"})
    drain()
    assert queue.approximate_count(poison=True) == 1 and queue.approximate_count() == 0
    assert [kind for kind, _, _ in alerts] == ["poison_message"] and "customer_id" in alerts[0][1]
    from lib.services.health_check import check_health, check_status

    health = check_health(get_context().settings)
    assert health.status == "degraded" and health.components["notices_queue"] == "degraded"
    assert check_status(get_context().settings).components["notices_queue"].details["poison"] == 1


def test_a_notice_whose_message_was_lost_is_queued_again_by_the_next_scan(notice_env, pc_sandbox, mailbox,
                                                                         monkeypatch):
    from lib.services import notice_outbox

    customer = customer_with_invoice(pc_sandbox, ZH_PROFILE)
    scan("2026-12-01")
    queue = get_context().notices_queue
    for message in queue.receive():  # the process died after the row was written, before the message went out
        queue.delete(message)
    drain()
    assert mailbox.messages() == [] and notices_of(customer)[0].status == "queued"
    monkeypatch.setattr(notice_outbox, "STALE_QUEUED", timedelta(0))
    scan("2026-12-02")
    drain()
    assert len(mailbox.messages()) == 1 and notices_of(customer)[0].status == "sent"
