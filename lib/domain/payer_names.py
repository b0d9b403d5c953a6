"""How a payer's bank account and name are compared: the keys that `payers` stores and a statement row is looked up by.

A transfer's payer name is typed by a bank clerk or the payer's own finance staff, so the same company arrives as
`腾讯科技（深圳）有限公司`, `腾讯科技(深圳) 有限公司` or `Tencent Technology (Shenzhen) Co., Ltd.`. Comparison is on a
key: NFKC (full-width letters, digits and brackets become half-width), case folded, without spaces, with the trailing
company form (`有限公司`, `Co., Ltd.`, `Limited`, ...) removed. The key is only ever compared, never shown.
"""

from __future__ import annotations

import re
import unicodedata

MAX_NAME_LENGTH = 100
MAX_ACCOUNT_LENGTH = 40
# Written as they look after the other steps (NFKC, case folded, no spaces); longest first so that
# `股份有限公司` is not cut down to `股份` + `有限公司`.
COMPANY_FORMS = tuple(sorted((
    "股份有限公司", "有限责任公司", "有限公司", "co.,ltd.", "co.,ltd", "co.ltd.", "co.ltd", "co.,limited",
    "co.limited", "ltd.", "ltd", "limited", "inc.", "inc", "corp.", "corporation",
), key=len, reverse=True))
_BRACKETS = str.maketrans({"（": "(", "）": ")", "[": "(", "]": ")", "【": "(", "】": ")", "〔": "(", "〕": ")"})
_SPACE = re.compile(r"\s+")
_TRAILING_PUNCTUATION = ",.、，。;；"
_ACCOUNT = re.compile(r"[0-9A-Z]+")
_ACCOUNT_SEPARATORS = re.compile(r"[\s\-]+")


class PayerValueError(ValueError):
    """A payer name or account that cannot identify anyone."""


def name_key(name: str) -> str:
    """The comparison key of a payer name; '' when nothing is left (e.g. the name was only `有限公司`)."""
    text = unicodedata.normalize("NFKC", name)
    text = unicodedata.normalize("NFKC", text.casefold()).translate(_BRACKETS)
    text = _SPACE.sub("", text)
    while True:
        stripped = text.rstrip(_TRAILING_PUNCTUATION)
        for form in COMPANY_FORMS:
            if stripped == form:
                break  # the whole name is a company form: keep it, so that it is refused, not emptied
            if stripped.endswith(form):
                stripped = stripped[: -len(form)]
                break
        if stripped == text:
            return text
        text = stripped


def account_key(account: str) -> str:
    """An account number without the spaces and dashes people group digits with, letters upper-cased."""
    return _ACCOUNT_SEPARATORS.sub("", unicodedata.normalize("NFKC", account)).upper()


def checked_name(name: object) -> str:
    """A payer name as registered: its key must not be empty. Returns the key."""
    if not isinstance(name, str) or not name.strip():
        raise PayerValueError(f"must be a non-empty name, got {name!r}")
    if len(name) > MAX_NAME_LENGTH:
        raise PayerValueError(f"is longer than {MAX_NAME_LENGTH} characters")
    key = name_key(name)
    if not key or key in COMPANY_FORMS:
        raise PayerValueError(f"{name!r} is only a company form; give the company's own name")
    return key


def checked_account(account: object) -> str:
    """A bank account number (digits, possibly letters, grouped by spaces or dashes). Returns the key."""
    if not isinstance(account, str):
        raise PayerValueError(f"must be an account number as text, got {account!r}")
    key = account_key(account)
    if not _ACCOUNT.fullmatch(key) or not 4 <= len(key) <= MAX_ACCOUNT_LENGTH:
        raise PayerValueError(f"must be 4 to {MAX_ACCOUNT_LENGTH} digits or letters, got {account!r}")
    return key
