"""A statement file's rows, whatever it was saved as: CSV in UTF-8, UTF-8 with a BOM or GBK, or an XLSX workbook.

Chinese online banking exports CSV in GBK by default (Excel on a zh-CN Windows opens it as such), and XLSX when asked.
The encoding is detected, not asked for: a BOM means UTF-8; text that decodes as UTF-8 is UTF-8 (GBK text of any
length almost never does); anything else is read as GB18030, the superset of GBK that Python ships.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

Cell = str | int | float | Decimal | datetime | date | None
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the pre-2007 .xls workbook


class UnreadableStatement(Exception):
    """A file that is not a statement csp-guard can read at all (not one bad row: the whole file)."""


@dataclass(frozen=True)
class SheetRow:
    line: int  # the physical line of a CSV file where the row starts, or the worksheet's row number
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class StatementFile:
    kind: str  # "xlsx", or the CSV's encoding: "utf-8", "utf-8-sig", "gbk"
    rows: list[SheetRow]


def read_statement_file(data: bytes) -> StatementFile:
    if data.startswith(_ZIP_MAGIC):
        return StatementFile("xlsx", _xlsx_rows(data))
    if data.startswith(_OLE_MAGIC):
        raise UnreadableStatement("is an old .xls workbook; save it as .xlsx or CSV and import that")
    kind, text = _decode(data)
    return StatementFile(kind, _csv_rows(text))


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", data[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict")
    try:
        return "utf-8", data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return "gbk", data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise UnreadableStatement(f"is neither UTF-8 nor GBK text (byte {exc.start})") from None


def _csv_rows(text: str) -> list[SheetRow]:
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[SheetRow] = []
    start = 1
    try:
        for cells in reader:
            rows.append(SheetRow(start, tuple(cells)))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise UnreadableStatement(f"is not valid CSV at line {start}: {exc}") from None
    return rows


def _xlsx_rows(data: bytes) -> list[SheetRow]:
    from openpyxl import load_workbook

    try:
        # data_only: a formula cell gives the value Excel last computed, which is what the bank exported.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and XML errors for a damaged workbook
        raise UnreadableStatement(f"is not a readable XLSX workbook: {exc}") from None
    try:
        sheet = workbook.worksheets[0]
        return [SheetRow(number, tuple(_cell(v) for v in values))
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)]
    finally:
        workbook.close()


def _cell(value: object) -> Cell:
    if value is None or isinstance(value, str | int | float | Decimal | datetime | date):
        return value
    return str(value)
