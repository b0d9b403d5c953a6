"""The payment channels' settings (WeChat Pay API v3, Alipay): all of a channel's settings, or none."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

from lib.settings_reader import SettingsError, SettingsReader


@dataclass(frozen=True)
class WeChatPaySettings:
    mchid: str
    apiv3_key: str = field(repr=False)
    platform_public_key: str  # PEM
    platform_public_key_id: str


@dataclass(frozen=True)
class AlipaySettings:
    app_id: str
    public_key: str  # PEM


def _channel(given: dict[str, str | None]) -> dict[str, str] | None:
    """A payment channel's settings: all of them, or none (the channel is then not offered: 404)."""
    if not any(given.values()):
        return None
    for name, value in given.items():
        if value is None:
            raise SettingsError(f"{name}: required with {', '.join(n for n, v in given.items() if v)}")
    return {name: value for name, value in given.items() if value is not None}


def _public_key_pem(name: str, value: str) -> str:
    """PEM text; app settings often hold it with literal \\n, and Alipay's console shows the bare base64 body."""
    text = value.replace("\\n", "\n").strip()
    if not text.startswith("-----BEGIN"):
        text = "-----BEGIN PUBLIC KEY-----\n" + "".join(text.split()) + "\n-----END PUBLIC KEY-----"
    try:
        key = load_pem_public_key(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise SettingsError(f"{name}: not a PEM public key") from None
    if not isinstance(key, RSAPublicKey):
        raise SettingsError(f"{name}: not an RSA public key")
    return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def read_wechatpay(reader: SettingsReader) -> WeChatPaySettings | None:
    # Each name is read literally, so tests/unit/infra sees that the deployment sets it.
    given = _channel({"WECHATPAY_MCHID": reader.optional("WECHATPAY_MCHID"),
                      "WECHATPAY_APIV3_KEY": reader.optional("WECHATPAY_APIV3_KEY"),
                      "WECHATPAY_PLATFORM_PUBLIC_KEY": reader.optional("WECHATPAY_PLATFORM_PUBLIC_KEY"),
                      "WECHATPAY_PLATFORM_PUBLIC_KEY_ID": reader.optional("WECHATPAY_PLATFORM_PUBLIC_KEY_ID")})
    if given is None:
        return None
    mchid, key = given["WECHATPAY_MCHID"], given["WECHATPAY_APIV3_KEY"]
    if not mchid.isascii() or not mchid.isdigit():
        raise SettingsError(f"WECHATPAY_MCHID: {mchid!r} is not a merchant number (digits)")
    if len(key.encode("utf-8")) != 32:
        raise SettingsError("WECHATPAY_APIV3_KEY: must be exactly 32 bytes (the APIv3 key set in the merchant portal)")
    return WeChatPaySettings(
        mchid=mchid, apiv3_key=key, platform_public_key_id=given["WECHATPAY_PLATFORM_PUBLIC_KEY_ID"],
        platform_public_key=_public_key_pem("WECHATPAY_PLATFORM_PUBLIC_KEY", given["WECHATPAY_PLATFORM_PUBLIC_KEY"]))


def read_alipay(reader: SettingsReader) -> AlipaySettings | None:
    given = _channel({"ALIPAY_APP_ID": reader.optional("ALIPAY_APP_ID"),
                      "ALIPAY_PUBLIC_KEY": reader.optional("ALIPAY_PUBLIC_KEY")})
    if given is None:
        return None
    app_id = given["ALIPAY_APP_ID"]
    if not app_id.isascii() or not app_id.isdigit():
        raise SettingsError(f"ALIPAY_APP_ID: {app_id!r} is not an Alipay app id (digits)")
    return AlipaySettings(app_id=app_id, public_key=_public_key_pem("ALIPAY_PUBLIC_KEY", given["ALIPAY_PUBLIC_KEY"]))
