"""WECHATPAY_* and ALIPAY_*: all or nothing per channel, keys that parse, an APIv3 key of 32 bytes."""

import pytest

from lib.settings import SettingsError, load_settings
from tests.support.payment_channels import channel_env, public_pem


def test_without_channel_settings_neither_channel_is_configured():
    s = load_settings({})
    assert s.wechatpay is None and s.alipay is None


def test_complete_channel_settings_are_read():
    s = load_settings(channel_env())
    assert s.wechatpay.mchid == "1900000109" and s.wechatpay.platform_public_key.startswith("-----BEGIN PUBLIC KEY")
    assert s.alipay.app_id == "2021000000000001"


def test_a_key_given_as_its_bare_base64_body_or_with_literal_newlines_is_accepted():
    pem = public_pem("alipay")
    bare = "".join(pem.splitlines()[1:-1])
    assert load_settings({**channel_env(), "ALIPAY_PUBLIC_KEY": bare}).alipay.public_key == pem
    escaped = pem.replace("\n", "\\n")
    assert load_settings({**channel_env(), "ALIPAY_PUBLIC_KEY": escaped}).alipay.public_key == pem


@pytest.mark.parametrize(("name", "value", "message"), [
    ("WECHATPAY_APIV3_KEY", "too-short", "32 bytes"),
    ("WECHATPAY_APIV3_KEY", "a" * 33, "32 bytes"),
    ("WECHATPAY_PLATFORM_PUBLIC_KEY", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "PEM"),
    ("WECHATPAY_MCHID", "merchant", "digits"),
    ("ALIPAY_PUBLIC_KEY", "not a key", "PEM"),
    ("ALIPAY_APP_ID", "my-app", "digits"),
    ("WECHATPAY_PLATFORM_PUBLIC_KEY_ID", "", "required"),
    ("ALIPAY_APP_ID", "", "required"),
])
def test_a_bad_channel_setting_fails_with_one_line_naming_it(name, value, message):
    with pytest.raises(SettingsError) as raised:
        load_settings({**channel_env(), name: value})
    text = str(raised.value)
    assert text.startswith(name) and message in text and "\n" not in text


def test_the_apiv3_key_is_a_secret_kept_out_of_repr_and_logs():
    s = load_settings(channel_env())
    assert s.wechatpay.apiv3_key not in repr(s)
    assert s.wechatpay.apiv3_key in s.secret_values()
