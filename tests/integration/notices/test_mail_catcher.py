"""`make run`'s mail catcher: MailDev from package.json takes a notice over SMTP and shows it in its inbox."""

from datetime import UTC, datetime

import pytest
import requests

from lib.mail_catcher import start_maildev
from lib.notices.message import build_envelope
from lib.notices.smtp_mailer import SmtpMailer
from lib.settings import load_settings

pytestmark = pytest.mark.integration


def test_a_notice_sent_to_maildev_appears_in_its_web_inbox():
    catcher = start_maildev()
    try:
        notices = load_settings(catcher.settings()).notices
        envelope = build_envelope(notices, customer_id="c-1", notice_id="n-0001-reminder",
                                  subject="付款提醒：逾期金额 ¥12,500.00", text="逾期金额 ¥12,500.00",
                                  html="<p>逾期金额 ¥12,500.00</p>", to=("caiwu@yunfan.example.cn",), cc=(),
                                  language="zh-CN", when=datetime.now(UTC))
        SmtpMailer(notices).send(envelope.message, envelope.sender, envelope.recipients)
        inbox = requests.get(f"{catcher.inbox_url}/email", timeout=10).json()
    finally:
        catcher.stop()
    assert [mail["subject"] for mail in inbox] == ["付款提醒：逾期金额 ¥12,500.00"]
    assert inbox[0]["to"][0]["address"] == "caiwu@yunfan.example.cn"


def test_a_port_already_taken_is_refused_rather_than_mistaken_for_our_maildev():
    first = start_maildev()
    try:
        from lib.mail_catcher import MailCatcherError

        with pytest.raises(MailCatcherError, match=rf"port {first.smtp_port}.* already in use"):
            start_maildev(smtp_port=first.smtp_port)
    finally:
        first.stop()
