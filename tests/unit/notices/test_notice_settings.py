"""The notice settings: defaults per DESIGN.md, and one line naming the setting when one is wrong."""

import pytest

from lib.settings import SettingsError, load_settings

SENDING = {"NOTICES_MODE": "send", "SMTP_HOST": "smtp.partner.example.cn",
           "NOTICE_FROM": "账单 <ar@partner.example.cn>"}


def test_notices_are_recorded_not_sent_by_default():
    notices = load_settings({}).notices
    assert (notices.mode, notices.queue, notices.smtp_port, notices.smtp_security) == ("record", "notices", 587,
                                                                                      "starttls")
    assert not notices.sending and notices.ops_alert_urls == () and notices.bcc == ()


def test_a_complete_send_configuration_is_read():
    notices = load_settings({**SENDING, "SMTP_PORT": "465", "SMTP_SECURITY": "tls", "SMTP_USERNAME": "ar",
                             "SMTP_PASSWORD": "s3cret-pass", "NOTICE_BCC": "a@partner.example.cn, b@partner.example.cn",
                             "OPS_ALERT_URLS": "wecombot://KEY123456,json://127.0.0.1:9000/alerts"}).notices
    assert notices.sending and notices.smtp_port == 465 and notices.bcc == ("a@partner.example.cn",
                                                                              "b@partner.example.cn")
    assert notices.ops_alert_urls == ("wecombot://KEY123456", "json://127.0.0.1:9000/alerts")


def test_the_smtp_password_and_alert_urls_are_secrets_kept_out_of_logs():
    settings = load_settings({**SENDING, "SMTP_PASSWORD": "s3cret-pass", "OPS_ALERT_URLS": "wecombot://KEY123456"})
    assert {"s3cret-pass", "wecombot://KEY123456"} <= set(settings.secret_values())
    assert "s3cret-pass" not in repr(settings) and "KEY123456" not in repr(settings)


@pytest.mark.parametrize(("env", "message"), [
    ({"NOTICES_MODE": "mail"}, "NOTICES_MODE: 'mail' is not one of record, send"),
    ({"NOTICES_MODE": "send", "NOTICE_FROM": "ar@partner.example.cn"}, "SMTP_HOST: required when NOTICES_MODE=send"),
    ({"NOTICES_MODE": "send", "SMTP_HOST": "smtp.example.cn"}, "NOTICE_FROM: required when NOTICES_MODE=send"),
    ({"SMTP_HOST": "smtp.example.cn", "SMTP_SECURITY": "none"}, "SMTP_SECURITY: 'none' is only allowed for a loopback"),
    ({"SMTP_SECURITY": "ssl"}, "SMTP_SECURITY: 'ssl' is not one of starttls, tls, none"),
    ({"SMTP_PORT": "smtp"}, "SMTP_PORT: 'smtp' is not a whole number"),
    ({"NOTICE_FROM": "Billing"}, "NOTICE_FROM: 'Billing' is not an e-mail address"),
    ({"NOTICE_REPLY_TO": "a@@b"}, "NOTICE_REPLY_TO: 'a@@b' is not an e-mail address"),
    ({"NOTICE_BCC": "a@partner.example.cn,archive"}, "NOTICE_BCC: 'archive' is not an e-mail address"),
    ({"OPS_ALERT_URLS": "https://qyapi.weixin.qq.com,nonsense"}, "OPS_ALERT_URLS: each entry must be an Apprise URL"),
    ({"NOTICES_QUEUE": "Notices!"}, "NOTICES_QUEUE: 'Notices!' is not a storage queue name"),
])
def test_a_bad_notice_setting_fails_with_one_line_naming_it(env, message):
    with pytest.raises(SettingsError, match="^" + message.replace("(", r"\(")) as caught:
        load_settings(env)
    assert "\n" not in str(caught.value)


def test_no_security_is_allowed_for_a_local_mail_catcher():
    assert load_settings({**SENDING, "SMTP_HOST": "127.0.0.1", "SMTP_SECURITY": "none"}).notices.smtp_security == "none"
