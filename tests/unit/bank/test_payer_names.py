"""Payer names and accounts compare on keys that ignore width, case, spaces, brackets and the company form."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.domain.payer_names import (
    COMPANY_FORMS,
    PayerValueError,
    account_key,
    checked_account,
    checked_name,
    name_key,
)

# Names as people write them: Chinese, Latin letters, digits, brackets, spaces and dots.
name_text = st.text(alphabet=st.sampled_from("腾讯科技深圳北京有限公司ABCxyz09 ()（）.,-&"), min_size=1, max_size=30)
forms = st.sampled_from(["有限公司", "有限责任公司", "股份有限公司", " Co., Ltd.", " Co.,Ltd", " Ltd.", " Limited",
                         " Inc.", "有限公司。"])


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in text)


@pytest.mark.parametrize(("written", "same_as"), [
    ("腾讯科技（深圳）有限公司", "腾讯科技(深圳)有限公司"),
    ("腾讯科技 (深圳) 有限 公司", "腾讯科技(深圳)"),
    ("ＡＢＣ贸易有限责任公司", "abc贸易"),
    ("Contoso Co., Ltd.", "CONTOSO"),
    ("Contoso Co.,Ltd", "contoso limited"),
    ("Contoso Inc.", "Contoso"),
    ("北京某某股份有限公司", "北京某某"),
    ("【上海】某某有限公司", "(上海)某某"),
])
def test_names_people_write_differently_share_one_key(written, same_as):
    assert name_key(written) == name_key(same_as)


def test_different_companies_keep_different_keys():
    assert name_key("北京某某有限公司") != name_key("上海某某有限公司")
    assert name_key("Contoso Ltd.") != name_key("Fabrikam Ltd.")


@given(name_text)
def test_a_key_is_its_own_key(name):
    assert name_key(name_key(name)) == name_key(name)


@given(name_text)
def test_full_width_letters_and_spaces_do_not_change_the_key(name):
    assert name_key(full_width(name)) == name_key(name)
    assert name_key(name.replace("", " ")) == name_key(name)


@given(name_text.filter(lambda n: any(c.isalnum() for c in n)), forms)
def test_a_trailing_company_form_does_not_change_the_key(name, form):
    assert name_key(name + form) == name_key(name)


@given(name_text)
def test_case_does_not_change_the_key(name):
    assert name_key(name.upper()) == name_key(name.lower())


@given(name_text)
def test_a_key_has_no_spaces_no_full_width_and_no_trailing_form(name):
    key = name_key(name)
    assert not any(c.isspace() for c in key)
    assert unicodedata.normalize("NFKC", key) == key
    assert not any(key.endswith(form) and key != form for form in COMPANY_FORMS)


def test_a_name_that_is_only_a_company_form_cannot_be_registered():
    with pytest.raises(PayerValueError, match="only a company form"):
        checked_name("有限公司")
    with pytest.raises(PayerValueError, match="non-empty"):
        checked_name("   ")
    with pytest.raises(PayerValueError, match="longer than 100"):
        checked_name("某" * 101)


def test_accounts_ignore_grouping_and_width_and_refuse_anything_else():
    assert account_key("6225 8801-2345 6789") == "6225880123456789"
    assert checked_account("６２２５８８０１２３４５６７８９") == "6225880123456789"
    for bad in ("12", "6225/8801", "账号123456", 6225880123456789, "1" * 41):
        with pytest.raises(PayerValueError):
            checked_account(bad)
