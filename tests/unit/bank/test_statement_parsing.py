"""Reading bank statements: formats, encodings, XLSX cells, credits and debits, and every bad row by line and column."""

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.billing.bank import cells
from lib.billing.bank.formats import FORMATS
from lib.billing.bank.memo import invoice_in_memo
from lib.billing.bank.reading import UnreadableStatement, read_statement_file
from lib.billing.bank.statement import parse_statement
from tests.support.bank_statements import cmb_csv, cmb_row, generic_csv, icbc_row, icbc_xlsx

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bank"


def parse(data: bytes, fmt: str):
    statement_file = read_statement_file(data)
    return statement_file.kind, parse_statement(statement_file.rows, FORMATS[fmt], SHANGHAI)


def test_the_cmb_sample_is_gbk_and_yields_its_credits_with_exact_fen_and_local_times():
    kind, parsed = parse((FIXTURES / "cmb.csv").read_bytes(), "cmb")
    assert kind == "gbk" and parsed.errors == [] and parsed.debits == 1
    first, second, third = parsed.credits
    assert (first.line, first.serial, first.amount, first.currency) == (7, "K2026112000001", 12_500_000, "CNY")
    assert first.paid_at == datetime(2026, 11, 20, 2, 15, 32, tzinfo=UTC)
    assert (first.payer_name, first.payer_account) == ("深圳市星河科技有限公司", "755900001110201")
    assert first.memo == "货款 付INV-2026-11-0042"
    assert (second.amount, second.payer_name, second.payer_account) == (880_050, "北京蓝海(集团)股份有限公司", "")
    assert third.serial == "K2026112300011" and third.amount == 56_000


def test_the_generic_sample_is_utf8_with_bom_and_a_negative_amount_is_a_debit():
    kind, parsed = parse((FIXTURES / "generic.csv").read_bytes(), "generic")
    assert kind == "utf-8-sig" and parsed.errors == [] and parsed.debits == 1
    [line] = parsed.credits
    assert (line.serial, line.amount, line.payer_account) == ("G20261120001", 1_234_567, "1100 2233 4455")


@pytest.mark.parametrize("encoding", ["gbk", "utf-8", "utf-8-sig"])
def test_each_encoding_reads_the_same_rows(encoding):
    rows = [cmb_row("20261120", "10:00:00", "S1", credit="1.00", name="深圳市星河科技有限公司")]
    data = cmb_csv(rows, encoding=encoding)
    kind, parsed = parse(data, "cmb")
    assert kind == encoding and [c.payer_name for c in parsed.credits] == ["深圳市星河科技有限公司"]


def test_an_icbc_workbook_reads_typed_cells_numbers_and_dates():
    data = icbc_xlsx([
        icbc_row(datetime(2026, 11, 20, 10, 15, 32), "I-1", credit=125000.5, name="Contoso 有限公司",
                 account="6222020200112233445", memo="INV-9"),
        icbc_row("2026-11-21 09:00:00", "I-2", debit=30, name="物业"),
        icbc_row(date(2026, 11, 22), "I-3", credit=Decimal("99.99"), name="某某", account=6222020200112),
    ])
    kind, parsed = parse(data, "icbc")
    assert kind == "xlsx" and parsed.errors == [] and parsed.debits == 1
    assert [(c.line, c.serial, c.amount) for c in parsed.credits] == [(3, "I-1", 12_500_050), (5, "I-3", 9_999)]
    assert parsed.credits[0].paid_at == datetime(2026, 11, 20, 2, 15, 32, tzinfo=UTC)
    assert parsed.credits[1].paid_at == datetime(2026, 11, 21, 16, 0, tzinfo=UTC)
    assert parsed.credits[1].payer_account == "6222020200112"


def test_every_bad_row_is_reported_with_its_line_and_column():
    rows = [
        cmb_row("20261120", "10:00:00", "S1", credit="12.345", name="甲"),
        cmb_row("2026-13-40", "10:00:00", "S2", credit="1.00", name="乙"),
        cmb_row("20261120", "10:00:00", "", credit="1.00", name="丙"),
        cmb_row("20261120", "10:00:00", "S4", credit="1.00", debit="2.00", name="丁"),
        cmb_row("20261120", "10:00:00", "S5", credit="1.00", name="", account=""),
        cmb_row("20261120", "10:00:00", "S6", credit="abc", name="戊"),
        cmb_row("20261120", "10:00:00", "S7", credit="5.00", name="己"),
        cmb_row("20261120", "10:00:00", "S7", credit="5.00", name="己"),
        cmb_row("20261120", "10:00:00", "S9", name="庚"),
        cmb_row("20261120", "10:00:00", "S10", debit="3.5.0", name="辛"),
    ]
    _, parsed = parse(cmb_csv(rows), "cmb")
    found = {(e.line, e.field) for e in parsed.errors}
    assert found == {(7, "贷方金额"), (8, "交易日"), (9, "流水号"), (10, "贷方金额"), (11, "收(付)方名称"),
                     (12, "贷方金额"), (14, "流水号"), (15, "贷方金额"), (16, "借方金额")}
    assert "more than two decimals" in str(parsed.errors[0])
    assert parsed.bad_rows == 9 and [c.serial for c in parsed.credits] == ["S7"]


def test_an_account_that_excel_stored_as_a_number_is_refused():
    data = icbc_xlsx([icbc_row("2026-11-20", "I-1", credit=1, name="甲", account=6.22202020011223e18)])
    _, parsed = parse(data, "icbc")
    assert [(e.line, e.field) for e in parsed.errors] == [(3, "对方账号")]
    assert "format the column as text" in parsed.errors[0].message


def test_a_file_in_another_banks_layout_is_a_header_error_naming_the_columns():
    _, parsed = parse(generic_csv([["2026-11-20", "G1", "甲", "", "1.00", ""]]), "cmb")
    assert [e.field for e in parsed.errors] == ["header"] and "收(付)方名称" in parsed.errors[0].message
    assert parsed.file_errors


def test_files_that_are_not_statements_are_refused_whole():
    with pytest.raises(UnreadableStatement, match=r"old \.xls"):
        read_statement_file(b"\xd0\xcf\x11\xe0rest")
    with pytest.raises(UnreadableStatement, match="XLSX"):
        read_statement_file(b"PK\x03\x04not a zip")
    with pytest.raises(UnreadableStatement, match="neither UTF-8 nor GBK"):
        read_statement_file(b"\x81\x20\xff\xff")


@given(st.integers(min_value=0, max_value=10**12))
def test_an_amount_written_with_thousands_separators_is_exact_to_the_fen(amount_fen):
    yuan, fen_part = divmod(amount_fen, 100)
    assert cells.fen(cells.money(f"{yuan:,}.{fen_part:02d}")) == amount_fen
    assert cells.fen(cells.money(f"¥{yuan}.{fen_part:02d}")) == amount_fen


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_an_excel_number_with_two_decimals_is_exact_to_the_fen(value):
    assert cells.fen(cells.money(float(value))) == int(value * 100)


@pytest.mark.parametrize("text", ["1.234", "1,23.00", "12,3456", "1.2.3", "--1", "0.001"])
def test_amounts_that_are_not_exact_money_are_refused(text):
    with pytest.raises(cells.CellError):
        cells.money(text)


def test_an_open_invoice_named_in_the_memo_is_chosen_even_in_full_width():
    invoices = ["INV-1", "INV-12", "INV-2026-11-0042"]
    assert invoice_in_memo("付ＩＮＶ－２０２６－１１－００４２货款", invoices) == "INV-2026-11-0042"
    assert invoice_in_memo("inv-12 payment", invoices) == "INV-12"  # not INV-1, which is part of it
    assert invoice_in_memo("INV-1 and INV-12", invoices) == "INV-12"
    assert invoice_in_memo("INV-12 / INV-2026-11-0042", invoices) is None  # two invoices: oldest first applies
    assert invoice_in_memo("货款", invoices) is None


def test_a_pattern_names_an_invoice_the_book_does_not_list():
    import re

    pattern = re.compile(r"发票号?[:：]?\s*(\w+)")
    assert invoice_in_memo("发票号：FP20261101 货款", [], pattern) == "FP20261101"
    assert invoice_in_memo("货款", [], pattern) is None


@pytest.mark.parametrize(("day", "clock", "expected"), [
    ("20261120", "101532", datetime(2026, 11, 20, 2, 15, 32, tzinfo=UTC)),
    ("2026/11/20", None, datetime(2026, 11, 19, 16, 0, tzinfo=UTC)),
    ("2026年11月20日", "10:15", datetime(2026, 11, 20, 2, 15, tzinfo=UTC)),
    ("2026-11-20-10.15.32.000000", None, datetime(2026, 11, 20, 2, 15, 32, tzinfo=UTC)),
    ("2026-11-20 10:15:32", "09:00:00", datetime(2026, 11, 20, 2, 15, 32, tzinfo=UTC)),
])
def test_dates_in_each_banks_spelling_are_local_times(day, clock, expected):
    assert cells.moment(day, clock, SHANGHAI) == expected


@pytest.mark.parametrize(("day", "clock"), [("2026-02-30", None), ("20-11-2026", None), ("20261120", "25:00:00")])
def test_dates_that_do_not_exist_are_refused(day, clock):
    with pytest.raises(cells.CellError):
        cells.moment(day, clock, SHANGHAI)


def test_the_icbc_sample_workbook_yields_its_credits():
    kind, parsed = parse((FIXTURES / "icbc.xlsx").read_bytes(), "icbc")
    assert kind == "xlsx" and parsed.errors == [] and parsed.debits == 1
    assert [(c.line, c.serial, c.amount) for c in parsed.credits] == [
        (3, "ICBC2026112000000101", 12_500_000), (5, "ICBC2026112200000103", 880_050)]
    assert parsed.credits[0].paid_at == datetime(2026, 11, 20, 2, 15, 32, tzinfo=UTC)
    assert parsed.credits[0].memo == "汇入 INV-2026-11-0042"
