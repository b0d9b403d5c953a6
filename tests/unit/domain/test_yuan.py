"""Yuan text → fen, exactly: Alipay's `total_amount` and `refund_fee`."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.domain.money import MoneyError, yuan_to_fen


@given(st.integers(min_value=0, max_value=10**15), st.sampled_from([0, 1, 2]))
def test_every_amount_written_with_up_to_two_decimals_reads_back_exactly(fen, decimals):
    if decimals < 2 and fen % 10 ** (2 - decimals):
        fen -= fen % 10 ** (2 - decimals)  # only amounts that this many decimals can write
    text = f"{Decimal(fen).scaleb(-2):.{decimals}f}"
    assert yuan_to_fen(text) == fen


@given(st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False, allow_infinity=False))
def test_three_decimals_are_refused_even_when_the_third_is_zero(value):
    with pytest.raises(MoneyError, match="at most two decimals"):
        yuan_to_fen(f"{value:.3f}")


@given(st.text(max_size=12))
def test_any_text_is_either_exact_fen_or_refused(text):
    try:
        fen = yuan_to_fen(text)
    except MoneyError:
        return
    assert Decimal(text) * 100 == fen and fen >= 0


@pytest.mark.parametrize("text", ["-1.00", "+1.00", "1e3", "1,000.00", " 1.00", "1.00 ", "01.00", ".50", "1.",
                                  "NaN", "Infinity", "１.００", "", None, 1.5, 100])
def test_what_is_not_plain_yuan_is_refused(text):
    with pytest.raises(MoneyError):
        yuan_to_fen(text)


@pytest.mark.parametrize(("text", "fen"), [("0.01", 1), ("88.5", 8850), ("88.50", 8850), ("100", 10000),
                                           ("0.10", 10), ("12500.00", 1_250_000), ("0", 0)])
def test_known_amounts(text, fen):
    assert yuan_to_fen(text) == fen
