"""Entity-group transactions through csp-guard's own `$batch` writer against a real Azurite."""

from datetime import UTC, datetime

import pytest

from lib.store.errors import ConcurrencyConflict, EntityNotFound, StoreError
from lib.store.tables import TableStore, create, delete, replace_if_match, upsert

pytestmark = pytest.mark.integration

PK = "cust'1 客户+%"  # a quote, CJK, and characters that need URL quoting


def test_every_kind_of_operation_applies_and_returns_fresh_etags(tables):
    ledger = tables.table("ledger")
    ledger.insert(PK, "summary", {"balance": 1})
    ledger.insert(PK, "stale", {"n": 1})
    ledger.insert(PK, "merged", {"keep": "yes", "n": 1})
    summary = ledger.get(PK, "summary")
    at = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

    etags = ledger.transact([
        create(PK, "evt:standard:msg'1", {"at": at}),
        upsert(PK, "merged", {"n": 2}),
        upsert(PK, "pay:P 1", {"amount": 3_000_000_000_00, "note": "回款"}, replace=True),
        replace_if_match(summary, {"balance": 2}),
        delete(PK, "stale"),
    ])

    assert len(etags) == 5 and all(etags[:4])
    assert ledger.get(PK, "evt:standard:msg'1").moment("at") == at
    merged = ledger.get(PK, "merged")
    assert (merged["keep"], merged["n"]) == ("yes", 2)  # merge kept the untouched property
    assert ledger.get(PK, "pay:P 1").integer("amount") == 3_000_000_000_00
    fresh = ledger.get(PK, "summary")
    assert fresh.integer("balance") == 2 and fresh.etag == etags[3]
    assert ledger.get(PK, "stale") is None


def test_the_returned_etag_guards_the_next_write(tables):
    ledger = tables.table("ledger")
    ledger.insert("c9", "summary", {"balance": 1})
    first = ledger.get("c9", "summary")
    etag = ledger.transact([create("c9", "inv:1", {"amount": 1}), replace_if_match(first, {"balance": 2})])[-1]
    from lib.store.entities import Record

    ledger.transact([create("c9", "inv:2", {"amount": 1}),
                     replace_if_match(Record("c9", "summary", etag=etag), {"balance": 3})])
    with pytest.raises(ConcurrencyConflict):
        ledger.transact([create("c9", "inv:3", {"amount": 1}), replace_if_match(first, {"balance": 99})])
    assert ledger.get("c9", "summary").integer("balance") == 3
    assert ledger.get("c9", "inv:3") is None


def test_a_duplicate_create_rolls_back_the_whole_transaction_and_names_the_operation(tables):
    ledger = tables.table("ledger")
    ledger.insert("c8", "evt:standard:1", {})
    with pytest.raises(ConcurrencyConflict, match="operation 1"):
        ledger.transact([upsert("c8", "inv:1", {"amount": 5}), create("c8", "evt:standard:1", {})])
    assert ledger.get("c8", "inv:1") is None


def test_deleting_what_is_not_there_is_not_found(tables):
    with pytest.raises(EntityNotFound):
        tables.table("ledger").transact([delete("c7", "nothing")])


def test_a_transaction_on_a_missing_table_is_a_store_error(settings, azurite):
    store = TableStore.from_settings(settings.storage, "nosuchprefix")
    with pytest.raises(StoreError) as raised:
        store.table("ledger").transact([create("c1", "x", {})])
    assert not isinstance(raised.value, EntityNotFound)  # a missing table is not a missing entity


def test_a_full_transaction_of_one_hundred_operations(tables):
    ledger = tables.table("ledger")
    etags = ledger.transact([create("c6", f"pay:{i:03d}", {"amount": i}) for i in range(100)])
    assert len(etags) == 100 and len(set(etags)) >= 1
    assert sum(r.integer("amount") for r in ledger.partition("c6")) == sum(range(100))
