"""The SMTP adapter against a real SMTP server: STARTTLS, AUTH, and each kind of failure sorted right."""

import dataclasses
from datetime import UTC, datetime

import pytest

from lib.notices.message import build_envelope
from lib.notices.smtp_mailer import PermanentMailError, SmtpMailer, TransientMailError
from lib.settings import NoticeSettings
from tests.fixtures.smtp_server import SMTP_PASSWORD, SMTP_USER

pytestmark = pytest.mark.integration


@pytest.fixture
def smtp_settings(mailbox, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(mailbox.cert_file))
    return NoticeSettings(mode="send", smtp_host="localhost", smtp_port=mailbox.port, smtp_security="starttls",
                          smtp_username=SMTP_USER, smtp_password=SMTP_PASSWORD,
                          sender="账单 <billing@partner.example.cn>", bcc=("archive@partner.example.cn",))


def envelope(settings, to=("caiwu@yunfan.example.cn",)):
    return build_envelope(settings, customer_id="c-1", notice_id="n-0001-reminder", subject="付款提醒：¥12,345.67",
                          text="逾期金额 ¥12,345.67", html="<p>逾期金额 ¥12,345.67</p>", to=to, cc=(),
                          language="zh-CN", when=datetime(2026, 12, 1, 4, 0, tzinfo=UTC))


def test_a_message_goes_through_starttls_and_auth_with_its_text_and_html(smtp_settings, mailbox):
    env = envelope(smtp_settings)
    delivery = SmtpMailer(smtp_settings).send(env.message, env.sender, env.recipients)
    assert delivery.answer.startswith("250 2.0.0 Ok: queued as") and delivery.refused == {}
    [got] = mailbox.messages()
    assert mailbox.logins and got.sender == "billing@partner.example.cn"
    assert got.recipients == ["caiwu@yunfan.example.cn", "archive@partner.example.cn"]
    assert "archive" not in str(got.message)  # the archive copy is an envelope recipient only
    assert got.message["Message-ID"] == "<n-0001-reminder.c-1@partner.example.cn>"
    assert got.message["Subject"] == "付款提醒：¥12,345.67"
    parts = {part.get_content_type(): part.get_content() for part in got.message.iter_parts()}
    assert parts["text/plain"].strip() == "逾期金额 ¥12,345.67" and "<p>" in parts["text/html"]


def test_a_wrong_password_is_a_permanent_failure(smtp_settings):
    bad = dataclasses.replace(smtp_settings, smtp_password="wrong")
    env = envelope(bad)
    with pytest.raises(PermanentMailError, match="535"):
        SmtpMailer(bad).send(env.message, env.sender, env.recipients)


def test_an_untrusted_certificate_is_refused_and_nothing_is_sent(smtp_settings, mailbox, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE")
    env = envelope(smtp_settings)
    with pytest.raises(TransientMailError, match="CERTIFICATE_VERIFY_FAILED"):
        SmtpMailer(smtp_settings).send(env.message, env.sender, env.recipients)
    assert mailbox.messages() == []


def test_a_4xx_answer_to_data_is_transient_and_a_5xx_answer_permanent(smtp_settings, mailbox):
    env = envelope(smtp_settings)
    mailbox.answer("DATA", "451 4.3.0 Mailbox temporarily unavailable")
    with pytest.raises(TransientMailError, match=r"451 4\.3\.0"):
        SmtpMailer(smtp_settings).send(env.message, env.sender, env.recipients)
    mailbox.answer("DATA", "554 5.7.1 Message rejected as spam")
    with pytest.raises(PermanentMailError, match=r"554 5\.7\.1"):
        SmtpMailer(smtp_settings).send(env.message, env.sender, env.recipients)
    assert mailbox.messages() == []


def test_every_recipient_refused_for_good_is_permanent(smtp_settings, mailbox):
    env = envelope(smtp_settings)
    mailbox.answer("RCPT", "550 5.1.1 No such user", times=2)
    with pytest.raises(PermanentMailError, match=r"every recipient refused.*550 5\.1\.1"):
        SmtpMailer(smtp_settings).send(env.message, env.sender, env.recipients)


def test_a_server_that_cannot_be_reached_is_transient(smtp_settings):
    from lib.azurite_process import free_port

    gone = dataclasses.replace(smtp_settings, smtp_port=free_port())
    env = envelope(gone)
    with pytest.raises(TransientMailError, match="connection"):
        SmtpMailer(gone, timeout=3).send(env.message, env.sender, env.recipients)


def test_no_recipient_is_permanent_without_connecting(smtp_settings):
    env = envelope(smtp_settings, to=())
    with pytest.raises(PermanentMailError, match="no recipient"):
        SmtpMailer(smtp_settings).send(env.message, env.sender, [])


def test_implicit_tls_with_auth_delivers_too(smtp_settings, mailbox, tmp_path):
    """SMTP_SECURITY=tls: TLS from the first byte (port 465 style), against a second aiosmtpd listening that way."""
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from lib.azurite_process import free_port
    from tests.fixtures.smtp_server import _Handler, _self_signed

    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    port = free_port()
    logins: list[bytes] = []
    controller = Controller(_Handler(mailbox), hostname="127.0.0.1", port=port, server_hostname="localhost",
                            ssl_context=context, auth_required=True,
                            # aiosmtpd counts only STARTTLS as TLS for auth_require_tls; this socket is TLS throughout
                            auth_require_tls=False,
                            authenticator=lambda server, session, envelope, mechanism, data: AuthResult(
                                success=logins.append(data.login) is None, handled=False))
    controller.start()
    try:
        settings = dataclasses.replace(smtp_settings, smtp_port=port, smtp_security="tls")
        env = envelope(settings)
        SmtpMailer(settings, context=ssl.create_default_context(cafile=str(cert))).send(
            env.message, env.sender, env.recipients)
    finally:
        controller.stop()
    assert [m.message["Subject"] for m in mailbox.messages()] == ["付款提醒：¥12,345.67"]
    assert logins == [SMTP_USER.encode()]


def test_auth_is_never_sent_over_an_unencrypted_connection(smtp_settings, mailbox):
    plain = dataclasses.replace(smtp_settings, smtp_security="none")
    env = envelope(plain)
    with pytest.raises(PermanentMailError, match="AUTH over an unencrypted connection is refused"):
        SmtpMailer(plain).send(env.message, env.sender, env.recipients)
    assert mailbox.logins == []
