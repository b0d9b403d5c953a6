"""The payers table on Azurite: registrations, the claims an import reads by point lookups, and conflicts."""

import pytest

from lib.services.payers import PayerConflict, PayerDirectory, parse_payers
from lib.store.payers import PayerIndex
from tests.support.billing_events import new_customer

pytestmark = pytest.mark.integration


@pytest.fixture
def directory(tables):
    return PayerDirectory(PayerIndex(tables.table("payers")))


def test_registered_accounts_and_names_find_their_customer(directory, tables):
    customer = new_customer()
    stored = directory.register(customer, parse_payers({"accounts": ["7559 0000-1110 201"],
                                                        "names": ["深圳市星河科技有限公司", "Xinghe Tech Co., Ltd."]}),
                                actor="key:alice")
    assert stored.accounts == ("7559 0000-1110 201",) and stored.updated_by == "key:alice"
    assert directory.customer_of("755900001110201", None) == (customer, "account")
    assert directory.customer_of("000000", "深圳市星河科技 有限公司") == (customer, "name")
    assert directory.customer_of(None, "ＸＩＮＧＨＥ tech limited") == (customer, "name")
    assert directory.customer_of("1234", "别的公司") is None
    assert directory.registered(customer).names == ("深圳市星河科技有限公司", "Xinghe Tech Co., Ltd.")
    claims = {r.partition_key for r in tables.table("payers").query("RowKey eq @rk", {"rk": "claim"})}
    assert claims == {"account:755900001110201", "name:深圳市星河科技", "name:xinghetech"}


def test_a_new_registration_replaces_the_old_and_frees_what_it_dropped(directory):
    customer, other = new_customer(), new_customer()
    directory.register(customer, parse_payers({"accounts": ["111122223333"], "names": ["甲公司"]}), actor="ops")
    directory.register(customer, parse_payers({"accounts": ["444455556666"], "names": []}), actor="ops")
    assert directory.customer_of("111122223333", "甲公司") is None
    assert directory.customer_of("444455556666", None) == (customer, "account")
    directory.register(other, parse_payers({"accounts": ["111122223333"], "names": ["甲公司"]}), actor="ops")
    assert directory.customer_of("111122223333", None) == (other, "account")


def test_an_account_or_name_of_another_customer_is_a_conflict_that_changes_nothing(directory):
    first, second = new_customer(), new_customer()
    directory.register(first, parse_payers({"accounts": ["111122223333"], "names": ["乙有限公司"]}), actor="ops")
    with pytest.raises(PayerConflict) as conflict:
        directory.register(second, parse_payers({"accounts": ["999988887777"], "names": ["乙 有限 公司"]}),
                           actor="ops")
    assert conflict.value.field == "names[0]" and conflict.value.holder == first
    assert directory.customer_of("999988887777", None) is None  # its own new account was not claimed either
    assert directory.registered(second).accounts == ()
    with pytest.raises(PayerConflict, match=r"'1111-2222-3333' already identifies"):
        directory.register(second, parse_payers({"accounts": ["1111-2222-3333"]}), actor="ops")
