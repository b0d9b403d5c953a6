"""Money is an integer count of minor units (fen for CNY) with an ISO 4217 currency; never a float."""

from __future__ import annotations

import re
from decimal import Decimal

# ISO 4217 codes a Microsoft CSP in China is likely to bill in, with their minor-unit exponent.
MINOR_UNIT_EXPONENT: dict[str, int] = {
    "CNY": 2, "HKD": 2, "MOP": 2, "TWD": 2, "USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "KRW": 0,
    "SGD": 2, "AUD": 2, "CAD": 2, "CHF": 2, "NZD": 2, "MYR": 2, "THB": 2, "IDR": 2, "PHP": 2,
    "VND": 0, "INR": 2,
}


class MoneyError(ValueError):
    """An amount or currency that cannot be money."""


def check_currency(code: object) -> str:
    if not isinstance(code, str) or code.upper() != code or code not in MINOR_UNIT_EXPONENT:
        raise MoneyError(f"unknown currency {code!r}: expected an ISO 4217 code such as CNY")
    return code


def check_amount(value: object, *, allow_zero: bool = True) -> int:
    """A non-negative whole number of minor units. Booleans and floats are refused, even 12.0."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise MoneyError(f"amount must be an integer number of minor units, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise MoneyError(f"amount must be {'non-negative' if allow_zero else 'positive'}, got {value}")
    return value


def format_amount(amount: int, currency: str) -> str:
    """12345 CNY -> '123.45 CNY', for people; storage and arithmetic stay in minor units."""
    exponent = MINOR_UNIT_EXPONENT.get(currency, 2)
    sign = "-" if amount < 0 else ""
    whole, minor = divmod(abs(amount), 10**exponent)
    text = f"{whole:,}" if exponent == 0 else f"{whole:,}.{minor:0{exponent}d}"
    return f"{sign}{text} {currency}"


_YUAN = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]{1,2})?")


def yuan_to_fen(text: object) -> int:
    """'88.50' yuan -> 8850 fen, exactly (Decimal, never float). Refuses more than two decimals, signs, exponents,
    thousands separators and spaces: a channel that sends any of those sent something we did not agree on."""
    if not isinstance(text, str) or not _YUAN.fullmatch(text):
        raise MoneyError(f"amount must be yuan with at most two decimals, such as 88.50, got {text!r}")
    return int(Decimal(text).scaleb(2))
