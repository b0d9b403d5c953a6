"""A bank statement read into credit lines, the number of debits skipped, and every bad row with its line and column.

Exports start with a few lines about the account (户名, 账号, 查询期间) before the header, and may end with a
合计 line; the header is the first row naming the format's columns, and a row after it with no serial that says
合计 or 总计 is a total, not a transfer.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Final, Literal, TypeVar
from zoneinfo import ZoneInfo

from lib.billing.bank import cells
from lib.billing.bank.formats import StatementFormat
from lib.billing.bank.reading import Cell, SheetRow
from lib.billing.csv_payments import RowError
from lib.domain.event_fields import EventValidationError, amount_field, currency_field, id_field

HEADER_SEARCH_ROWS = 30
DEBIT: Final = "debit"
Debit = Literal["debit"]
T = TypeVar("T")
REQUIRED_ROLES = ("date", "serial", "payer_name")


@dataclass(frozen=True)
class StatementLine:
    line: int
    serial: str
    amount: int  # fen
    currency: str
    paid_at: datetime
    payer_name: str
    payer_account: str
    memo: str


@dataclass
class ParsedStatement:
    credits: list[StatementLine] = field(default_factory=list)
    debits: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return len({e.line for e in self.errors if e.field not in ("header", "file")})

    @property
    def file_errors(self) -> bool:
        return any(e.field in ("header", "file") for e in self.errors)


@dataclass(frozen=True)
class _Columns:
    header: tuple[str, ...]
    index: dict[str, int]  # role -> column
    memo: tuple[int, ...]

    def cell(self, row: SheetRow, role: str) -> Cell:
        at = self.index.get(role)
        return row.cells[at] if at is not None and at < len(row.cells) else None

    def name(self, role: str) -> str:
        at = self.index.get(role)
        return self.header[at] if at is not None else role


def parse_statement(rows: list[SheetRow], fmt: StatementFormat, zone: ZoneInfo) -> ParsedStatement:
    result = ParsedStatement()
    found = _find_header(rows, fmt)
    if found is None:
        roles = (*REQUIRED_ROLES, "credit" if fmt.credit else "amount")
        expected = ", ".join("/".join(fmt.names_for(r)) for r in roles)
        result.errors.append(RowError(1, "header", f"no row in the first {HEADER_SEARCH_ROWS} names the {fmt.name} "
                                                   f"columns ({expected}); is --format right?"))
        return result
    position, columns = found
    first_line: dict[str, int] = {}
    for row in rows[position + 1:]:
        if not any(cells.text(c) for c in row.cells) or _is_total(row, columns):
            continue
        errors: list[RowError] = []
        line = _read_row(row, columns, zone, errors)
        if line == DEBIT:
            result.debits += 1
            continue
        if line is not None:
            earlier = first_line.setdefault(line.serial, row.line)
            if earlier != row.line:
                errors.append(RowError(row.line, columns.name("serial"), f"repeats the transfer on line {earlier}"))
        if errors:
            result.errors += errors
        elif line is not None:
            result.credits.append(line)
    return result


def _normal(name: Cell) -> str:
    return unicodedata.normalize("NFKC", cells.text(name)).replace(" ", "")


def _find_header(rows: list[SheetRow], fmt: StatementFormat) -> tuple[int, _Columns] | None:
    for position, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        header = tuple(_normal(c) for c in row.cells)
        index: dict[str, int] = {}
        for role in ("date", "time", "serial", "payer_name", "payer_account", "credit", "debit", "amount",
                     "currency"):
            for name in fmt.names_for(role):
                if _normal(name) in header:
                    index[role] = header.index(_normal(name))
                    break
        money_known = "credit" in index or "amount" in index
        if all(role in index for role in REQUIRED_ROLES) and money_known:
            memo = tuple(header.index(_normal(n)) for n in fmt.memo if _normal(n) in header)
            return position, _Columns(header, index, memo)
    return None


def _is_total(row: SheetRow, columns: _Columns) -> bool:
    said = " ".join(cells.text(c) for c in row.cells)
    return not cells.text(columns.cell(row, "serial")) and ("合计" in said or "总计" in said)


def _read_row(row: SheetRow, columns: _Columns, zone: ZoneInfo,
              errors: list[RowError]) -> StatementLine | Debit | None:
    """The row's credit line, DEBIT, or None with its problems appended to `errors` (all of them, not the first)."""

    def checked(role: str, read: Callable[[], T]) -> T | None:
        try:
            return read()
        except cells.CellError as exc:
            errors.append(RowError(row.line, columns.name(role), str(exc)))
        except EventValidationError as exc:
            errors.append(RowError(row.line, columns.name(role), exc.message))
        return None

    if "credit" in columns.index:
        credit = checked("credit", lambda: cells.money(columns.cell(row, "credit")))
        debit = checked("debit", lambda: cells.money(columns.cell(row, "debit")))
    else:
        signed = checked("amount", lambda: cells.money(columns.cell(row, "amount")))
        credit = signed if signed is not None and signed > 0 else None
        debit = -signed if signed is not None and signed < 0 else None
    money_role = "credit" if "credit" in columns.index else "amount"
    direction = None if errors else checked(money_role, lambda: _direction(credit, debit))
    if direction == DEBIT:
        return DEBIT
    serial = checked("serial", lambda: id_field(cells.text(columns.cell(row, "serial")), "serial"))
    paid_at = checked("date", lambda: cells.moment(columns.cell(row, "date"), columns.cell(row, "time"), zone))
    name = cells.text(columns.cell(row, "payer_name"))
    account = checked("payer_account", lambda: cells.account(columns.cell(row, "payer_account")))
    currency = checked("currency", lambda: currency_field(cells.currency(columns.cell(row, "currency")), "currency"))
    if not name and not account:
        errors.append(RowError(row.line, columns.name("payer_name"), "names no payer (and no payer account)"))
    if errors or direction is None or serial is None or paid_at is None or currency is None:
        return None
    memo = " ".join(t for t in (cells.text(row.cells[i]) for i in columns.memo if i < len(row.cells)) if t)
    return StatementLine(row.line, serial, direction, currency, paid_at, name, account or "", memo)


def _direction(credit: Decimal | None, debit: Decimal | None) -> int | Debit:
    """The credit in fen, or DEBIT for money going out."""
    credit = credit if credit else None  # 0.00 in the other column means "nothing"
    debit = debit if debit else None
    if credit is not None and debit is not None:
        raise cells.CellError(f"the row has both a credit ({credit}) and a debit ({debit})")
    if debit is not None:
        return DEBIT
    if credit is None:
        raise cells.CellError("the row has no amount in or out")
    if credit < Decimal(0):
        raise cells.CellError(f"a credit cannot be negative: {credit}")
    return amount_field(cells.fen(credit), "amount")
