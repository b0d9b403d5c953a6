"""One statement cell read as money, a moment or text; each failure is a CellError a person can act on."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from lib.billing.bank.reading import Cell

_MONEY = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_CURRENCY_MARKS = ("¥", "￥", "RMB", "CNY", "元")
# 2026-11-20, 2026/11/20, 20261120, 2026年11月20日, with an optional time; ICBC writes its times DB2-style,
# 2026-11-20-10.15.32.000000.
_DATE = re.compile(r"(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?"
                   r"(?:[ T-]+(\d{1,2})[:.]?(\d{2})[:.]?(\d{2})?(?:\.\d+)?)?")
_TIME = re.compile(r"(\d{1,2}):?(\d{2}):?(\d{2})?")
_CURRENCY_WORDS = {"人民币": "CNY", "RMB": "CNY", "CNY": "CNY", "美元": "USD", "港币": "HKD", "港元": "HKD",
                   "欧元": "EUR"}


class CellError(ValueError):
    pass


def text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float):
        return repr(cell)
    return unicodedata.normalize("NFKC", str(cell)).strip()


def money(cell: Cell) -> Decimal | None:
    """Yuan, exactly: '1,234.50', 1234.5 or '-88' (a signed column). None for an empty cell."""
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    if isinstance(cell, bool):
        raise CellError(f"is not an amount: {cell!r}")
    if isinstance(cell, int | Decimal):
        value = Decimal(cell)
    elif isinstance(cell, float):
        value = Decimal(repr(cell))  # the shortest text that reads back as this float: what Excel showed
    elif isinstance(cell, str):
        raw = text(cell).replace(" ", "")
        for mark in _CURRENCY_MARKS:
            raw = raw.replace(mark, "")
        if not _MONEY.fullmatch(raw):
            raise CellError(f"is not an amount such as 1,234.50: {cell!r}")
        try:
            value = Decimal(raw.replace(",", ""))
        except InvalidOperation:
            raise CellError(f"is not an amount such as 1,234.50: {cell!r}") from None
    else:
        raise CellError(f"is not an amount: {cell!r}")
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int) or (exponent < -2 and value != value.quantize(Decimal("0.01"))):
        raise CellError(f"has more than two decimals: {cell!r}; an amount is exact to the fen")
    return value


def fen(yuan: Decimal) -> int:
    return int((yuan * 100).to_integral_value())


def moment(day: Cell, clock: Cell, zone: ZoneInfo) -> datetime:
    """A local date (and time, from the same cell or a separate one) in the bank's zone, returned in UTC."""
    if isinstance(day, datetime):
        local = day.replace(tzinfo=zone)
    elif isinstance(day, date):
        local = datetime.combine(day, time(), tzinfo=zone)
    else:
        found = _DATE.fullmatch(text(day))
        if not found:
            raise CellError(f"is not a date such as 2026-11-20 or 20261120: {day!r}")
        year, month, dom, hour, minute, second = found.groups()
        try:
            local = datetime(int(year), int(month), int(dom), int(hour or 0), int(minute or 0), int(second or 0),
                             tzinfo=zone)
        except ValueError as exc:
            raise CellError(f"is not a real date: {day!r} ({exc})") from None
    if clock not in (None, "") and local.time() == time():
        local = datetime.combine(local.date(), _time_of(clock), tzinfo=zone)
    return local.astimezone(UTC)


def _time_of(cell: Cell) -> time:
    if isinstance(cell, datetime):
        return cell.time()
    found = _TIME.fullmatch(text(cell))
    if not found:
        raise CellError(f"is not a time such as 10:15:32: {cell!r}")
    try:
        return time(int(found.group(1)), int(found.group(2)), int(found.group(3) or 0))
    except ValueError as exc:
        raise CellError(f"is not a real time: {cell!r} ({exc})") from None


def account(cell: Cell) -> str:
    if isinstance(cell, float):
        # Excel keeps 15 significant digits of a number; a 16-19 digit account number stored as one is already wrong.
        raise CellError("is stored as a number, which loses digits; format the column as text and export again")
    return text(cell)


def currency(cell: Cell) -> str:
    word = text(cell).upper() or "CNY"
    return _CURRENCY_WORDS.get(word, word)
