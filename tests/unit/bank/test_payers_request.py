"""The payers body: every refusal names the value at fault by its path in the body."""

import pytest

from lib.services.payers import MAX_ENTRIES, InvalidPayers, parse_payers


def test_a_good_body_keeps_what_was_written_and_claims_the_keys():
    request = parse_payers({"accounts": [" 6222 0202 0011 2233 445 "], "names": ["Contoso Co., Ltd."]})
    assert request.accounts == ("6222 0202 0011 2233 445",) and request.names == ("Contoso Co., Ltd.",)
    assert [(c.kind, c.key) for c in request.claims] == [("account", "6222020200112233445"), ("name", "contoso")]
    assert parse_payers({}).claims == ()


@pytest.mark.parametrize(("body", "field", "message"), [
    ("names", "body", "JSON object"),
    ({"accounts": [], "note": "x"}, "note", "unknown member"),
    ({"names": "甲公司"}, "names", "list of text"),
    ({"accounts": ["6222-0202", "62220202"]}, "accounts[1]", r"same account as accounts\[0\]"),
    ({"names": ["Contoso Ltd", "CONTOSO limited"]}, "names[1]", r"same name as names\[0\]"),
    ({"names": ["股份有限公司"]}, "names[0]", "only a company form"),
    ({"accounts": ["abc"]}, "accounts[0]", "4 to 40 digits"),
    ({"names": [f"公司{i}" for i in range(MAX_ENTRIES + 1)]}, "names", f"more than {MAX_ENTRIES}"),
])
def test_a_bad_body_names_its_field(body, field, message):
    with pytest.raises(InvalidPayers, match=message) as refused:
        parse_payers(body)
    assert refused.value.field == field
