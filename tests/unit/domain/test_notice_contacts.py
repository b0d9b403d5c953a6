"""The contacts body: who receives a customer's notices. Bad input is a ContactsError naming the field."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.domain.notice_contacts import ContactsError, is_address, parse_contacts


def test_addresses_are_trimmed_lower_cased_and_deduplicated():
    request = parse_contacts({"to": [" CFO@Yunfan.example.cn", "cfo@yunfan.example.cn"], "cc": ["ap@yunfan.cn"],
                              "language": "zh-CN"})
    assert request.to == ("cfo@yunfan.example.cn",) and request.cc == ("ap@yunfan.cn",)
    assert request.language == "zh-CN"


def test_an_empty_body_means_the_billing_profile_decides():
    assert parse_contacts({}) == parse_contacts({"to": [], "cc": [], "language": None})


@pytest.mark.parametrize(("body", "field"), [
    ([], "body"), ({"to": "ap@yunfan.cn"}, "to"), ({"to": ["ap@yunfan.cn\r\nBcc: x@evil.cn"]}, "to"),
    ({"to": ["Name <ap@yunfan.cn>"]}, "to"), ({"cc": ["ap@yunfan.cn"]}, "cc"), ({"language": "zh"}, "language"),
    ({"to": [], "lang": "en"}, "lang"), ({"to": [f"a{n}@yunfan.cn" for n in range(21)]}, "to"),
])
def test_bad_contacts_name_the_field(body, field):
    with pytest.raises(ContactsError) as caught:
        parse_contacts(body)
    assert caught.value.field == field


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=30),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                          max_size=4), max_leaves=12)


@given(st.dictionaries(st.sampled_from(["to", "cc", "language", "x"]), json_values, max_size=4))
def test_any_json_is_either_accepted_or_refused_with_a_named_field(body):
    refused: ContactsError | None = None
    try:
        request = parse_contacts(body)
    except ContactsError as exc:
        refused = exc
    if refused is not None:
        assert refused.field in ("body", "to", "cc", "language", "x")
        return
    assert all(is_address(address) for address in request.to + request.cc)
    assert all("\n" not in address and "<" not in address for address in request.to + request.cc)
