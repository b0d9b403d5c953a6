"""The payments CSV import (`csp-guard import-payments FILE.csv`).

Columns `customer_id,payment_id,amount,currency,paid_at,invoice_id` in any order (`invoice_id` may be left out
or empty); UTF-8 with or without a BOM; `amount` in whole fen; `paid_at` ISO-8601 with a UTC offset. Every bad
row is reported with its line and field, not just the first, so one pass over the file fixes them all.
Open the file with `open(path, encoding="utf-8-sig", newline="")`; a BOM left in the text is removed anyway.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from lib.domain.event_fields import (
    EventValidationError,
    amount_field,
    currency_field,
    customer_id_field,
    id_field,
    timestamp_field,
)
from lib.domain.events import BillingEvent, PaymentSucceeded

PROVIDER = "csv"
COLUMNS = ("customer_id", "payment_id", "amount", "currency", "paid_at", "invoice_id")
REQUIRED = frozenset(COLUMNS) - {"invoice_id"}
_WHOLE_NUMBER = re.compile(r"[0-9]+")
T = TypeVar("T")


@dataclass(frozen=True)
class RowError:
    line: int  # physical line in the file where the row starts; the header is line 1
    field: str  # a column name, or "header" / "row" / "file"
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


@dataclass
class PaymentsImport:
    events: list[tuple[int, BillingEvent]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _without_bom(lines: Iterable[str]) -> Iterator[str]:
    first = True
    for line in lines:
        yield line.removeprefix("\ufeff") if first else line
        first = False


def _header_errors(header: list[str]) -> list[RowError]:
    errors = []
    seen: set[str] = set()
    for name in header:
        if name not in COLUMNS:
            errors.append(RowError(1, name or "header", f"unknown column; expected {','.join(COLUMNS)}"))
        elif name in seen:
            errors.append(RowError(1, name, "column appears twice"))
        seen.add(name)
    errors += [RowError(1, name, "missing column") for name in COLUMNS if name in REQUIRED - seen]
    return errors


def _amount(text: str, column: str) -> int:
    if not _WHOLE_NUMBER.fullmatch(text):
        raise EventValidationError(column, f"must be a whole number of fen such as 125000, got {text!r}")
    return amount_field(int(text), column)


def _checked(
    errors: list[RowError], line: int, check: Callable[[str, str], T], text: str, column: str
) -> T | None:
    try:
        return check(text, column)
    except EventValidationError as exc:
        errors.append(RowError(line, exc.field, exc.message))
        return None


def _optional_id(text: str, column: str) -> str | None:
    return id_field(text, column) if text else None


def _row_event(line: int, values: dict[str, str], errors: list[RowError]) -> BillingEvent | None:
    before = len(errors)
    customer_id = _checked(errors, line, customer_id_field, values["customer_id"], "customer_id")
    payment_id = _checked(errors, line, id_field, values["payment_id"], "payment_id")
    amount = _checked(errors, line, _amount, values["amount"], "amount")
    currency = _checked(errors, line, currency_field, values["currency"].upper(), "currency")
    paid_at = _checked(errors, line, timestamp_field, values["paid_at"], "paid_at")
    invoice_id = _checked(errors, line, _optional_id, values.get("invoice_id", ""), "invoice_id")
    if len(errors) > before or not (customer_id and payment_id and currency and paid_at) or amount is None:
        return None
    payment = PaymentSucceeded(payment_id, amount, currency, paid_at, invoice_id)
    return BillingEvent(
        provider=PROVIDER, event_id=f"csv:{payment_id}", type=PaymentSucceeded.kind,
        occurred_at=paid_at, customer_id=customer_id, fact=payment,
    )


def iter_payment_rows(lines: Iterable[str]) -> Iterator[tuple[int, BillingEvent] | RowError]:
    """Stream the file: `(line, event)` for each good row, a `RowError` for each bad field of each bad row.
    After a header error nothing else is read, since no row could be interpreted."""
    reader = csv.reader(_without_bom(lines))
    start = 1
    try:
        header = [name.strip() for name in next(reader, [])]
        if not any(header):
            yield RowError(1, "header", f"the file is empty; expected the header {','.join(COLUMNS)}")
            return
        header_errors = _header_errors(header)
        if header_errors:
            yield from header_errors
            return
        first_line: dict[str, int] = {}
        start = reader.line_num + 1
        for row in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                yield RowError(line, "row", f"has {len(row)} fields; the header has {len(header)}")
                continue
            errors: list[RowError] = []
            values = {name: cell.strip() for name, cell in zip(header, row, strict=True)}
            event = _row_event(line, values, errors)
            earlier = first_line.setdefault(values["payment_id"], line)
            if earlier != line:
                errors.append(RowError(line, "payment_id", f"repeats the payment on line {earlier}"))
            if errors:
                yield from errors
            elif event is not None:
                yield (line, event)
    except UnicodeDecodeError:
        yield RowError(start, "file", "is not UTF-8 text")
    except csv.Error as exc:
        yield RowError(start, "file", f"is not valid CSV: {exc}")


def read_payments_csv(lines: Iterable[str]) -> PaymentsImport:
    """The whole file at once: good rows and every error (import only when `errors` is empty)."""
    result = PaymentsImport()
    for item in iter_payment_rows(lines):
        if isinstance(item, RowError):
            result.errors.append(item)
        else:
            result.events.append(item)
    return result
