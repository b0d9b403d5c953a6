from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from lib.billing.csv_payments import RowError, iter_payment_rows, read_payments_csv
from lib.domain.events import BillingEvent, PaymentSucceeded

A = "0f9b3a4e-8c1d-4b2a-9e7f-1a2b3c4d5e6f"
B = "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d"
HEADER = "customer_id,payment_id,amount,currency,paid_at,invoice_id\n"


def text_file(content: str, bom: bool = False) -> io.TextIOWrapper:
    raw = ("\ufeff" if bom else "") + content
    return io.TextIOWrapper(io.BytesIO(raw.encode("utf-8")), encoding="utf-8", newline="")


def test_good_file_with_a_bom_gives_one_event_per_row_with_its_line():
    content = HEADER + f"{A.upper()},PAY-1,125000,CNY,2026-11-02T10:00:00+08:00,INV-1\n" \
                       f"{B},PAY-2,500,cny,2026-11-03T00:00:00Z,\n"
    result = read_payments_csv(text_file(content, bom=True))
    assert result.errors == []
    assert result.events == [
        (2, BillingEvent("csv", "csv:PAY-1", "payment.succeeded", datetime(2026, 11, 2, 2, tzinfo=UTC), A,
                         PaymentSucceeded("PAY-1", 125000, "CNY", datetime(2026, 11, 2, 2, tzinfo=UTC), "INV-1"))),
        (3, BillingEvent("csv", "csv:PAY-2", "payment.succeeded", datetime(2026, 11, 3, tzinfo=UTC), B,
                         PaymentSucceeded("PAY-2", 500, "CNY", datetime(2026, 11, 3, tzinfo=UTC), None))),
    ]


def test_bom_left_in_decoded_text_is_ignored_too():
    result = read_payments_csv(io.StringIO("\ufeff" + HEADER + f"{A},P1,1,CNY,2026-11-03T00:00:00Z,\n"))
    assert (len(result.events), result.errors) == (1, [])


def test_columns_may_come_in_any_order_and_invoice_id_may_be_left_out():
    content = "paid_at,amount,currency,payment_id,customer_id\n2026-11-03T00:00:00Z,7,CNY,P1," + A + "\n"
    (line, event), = read_payments_csv(io.StringIO(content)).events
    assert line == 2
    assert event.fact == PaymentSucceeded("P1", 7, "CNY", datetime(2026, 11, 3, tzinfo=UTC), None)


def test_every_bad_field_of_every_bad_row_is_reported_with_its_line():
    content = (
        HEADER
        + f"{A},P1,125000,CNY,2026-11-02T10:00:00+08:00,\n"
        + "acme,P2,1250.00,RMB,2026-11-02 10:00,\n"
        + f"{A},,-5,CNY,2026-11-02T10:00:00,INV/1\n"
        + "\n"
        + f"{A},P3,12,CNY,2026-11-02T10:00:00Z\n"
        + f"{B},P1,1,CNY,2026-11-02T10:00:00Z,\n"
    )
    result = read_payments_csv(io.StringIO(content))
    assert [line for line, _ in result.events] == [2]
    assert [(e.line, e.field) for e in result.errors] == [
        (3, "customer_id"), (3, "amount"), (3, "currency"), (3, "paid_at"),
        (4, "payment_id"), (4, "amount"), (4, "paid_at"), (4, "invoice_id"),
        (6, "row"),
        (7, "payment_id"),
    ]
    assert "GUID" in result.errors[0].message
    assert "whole number of fen" in result.errors[1].message
    assert "UTC offset" in result.errors[6].message
    assert "line 2" in result.errors[-1].message
    assert str(result.errors[0]).startswith("line 3: customer_id: ")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("customer_id,payment_id,amount,currency,paid_at,invoice_id,note", [(1, "note")]),
        ("customer_id,payment_id,amount,paid_at", [(1, "currency")]),
        ("customer_id,payment_id,amount,amount,currency,paid_at", [(1, "amount")]),
        ("customer,payment_id,amount,currency,paid_at", [(1, "customer"), (1, "customer_id")]),
    ],
)
def test_header_errors_are_reported_and_stop_the_import(header, expected):
    result = read_payments_csv(io.StringIO(header + f"\n{A},P1,1,CNY,2026-11-02T10:00:00Z\n"))
    assert [(e.line, e.field) for e in result.errors] == expected
    assert result.events == []


def test_empty_file_is_reported():
    assert read_payments_csv(io.StringIO("")).errors == [
        RowError(1, "header", "the file is empty; expected the header "
                              "customer_id,payment_id,amount,currency,paid_at,invoice_id")]


def test_file_that_is_not_utf8_is_reported_at_the_line_reached():
    raw = (HEADER + f"{A},P1,1,CNY,2026-11-02T10:00:00Z,\n").encode() + b"\xff\xfe,bad\n"
    result = read_payments_csv(io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8", newline=""))
    assert any(e.field == "file" for e in result.errors)


def test_line_numbers_count_physical_lines_of_quoted_multiline_fields():
    content = HEADER + f'{A},"P\n1",1,CNY,2026-11-02T10:00:00Z,\n{A},P2,x,CNY,2026-11-02T10:00:00Z,\n'
    result = read_payments_csv(io.StringIO(content))
    assert [(e.line, e.field) for e in result.errors] == [(2, "payment_id"), (4, "amount")]


def test_rows_are_read_as_they_are_needed():
    def lines() -> Iterator[str]:
        yield HEADER
        yield f"{A},P1,1,CNY,2026-11-02T10:00:00Z,\n"
        raise AssertionError("read past the first row")

    line, _event = next(iter_payment_rows(lines()))
    assert line == 2
