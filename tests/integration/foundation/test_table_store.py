"""The storage layer against a real Azurite: transactions, ETags, paging, the queue's wire format."""

import base64
import json
from datetime import UTC, datetime

import pytest
from azure.storage.queue import QueueClient

from lib.store.errors import ConcurrencyConflict, StorageUnavailable
from lib.store.queues import MessageQueue
from lib.store.tables import TableStore, create, replace_if_match, upsert

pytestmark = pytest.mark.integration


def test_tables_are_created_with_the_prefix_and_creation_is_repeatable(tables, settings):
    tables.ensure_tables()
    names = {t.name for t in tables._service.list_tables()}
    assert {f"{settings.table_prefix}{n}" for n in ("ledger", "accounts", "runs", "actions")} <= names


def test_values_round_trip_with_their_types(tables):
    ledger = tables.table("ledger")
    due = datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC)
    ledger.insert("c1", "inv:1", {"amount": 3_000_000_000_00, "currency": "CNY", "due_at": due, "open": True})
    record = ledger.get("c1", "inv:1")
    assert record.integer("amount") == 3_000_000_000_00
    assert record.moment("due_at") == due and record["open"] is True and record.etag


def test_insert_of_an_existing_entity_is_a_conflict(tables):
    runs = tables.table("runs")
    runs.insert("job", "r1", {"status": "running"})
    with pytest.raises(ConcurrencyConflict):
        runs.insert("job", "r1", {"status": "running"})


def test_update_with_a_stale_etag_is_refused_and_changes_nothing(tables):
    accounts = tables.table("accounts")
    accounts.insert("b00", "c1", {"version": 1})
    first = accounts.get("b00", "c1")
    accounts.update_if_match(first, {"version": 2})
    with pytest.raises(ConcurrencyConflict):
        accounts.update_if_match(first, {"version": 99})
    assert accounts.get("b00", "c1").integer("version") == 2


def test_a_transaction_applies_all_or_nothing(tables):
    ledger = tables.table("ledger")
    ledger.transact([create("c1", "evt:standard:e1", {"at": datetime.now(UTC)}),
                     upsert("c1", "summary", {"balance": 100, "version": 1})])
    summary = ledger.get("c1", "summary")
    with pytest.raises(ConcurrencyConflict):
        # the same event mark again: the whole batch, summary included, must be rolled back
        ledger.transact([create("c1", "evt:standard:e1", {}), replace_if_match(summary, {"balance": 999})])
    assert ledger.get("c1", "summary").integer("balance") == 100


def test_a_transaction_with_a_stale_etag_is_rolled_back(tables):
    ledger = tables.table("ledger")
    ledger.insert("c2", "summary", {"balance": 1})
    stale = ledger.get("c2", "summary")
    ledger.update_if_match(stale, {"balance": 2})
    with pytest.raises(ConcurrencyConflict):
        ledger.transact([create("c2", "inv:9", {"amount": 5}), replace_if_match(stale, {"balance": 7})])
    assert ledger.get("c2", "inv:9") is None
    assert ledger.get("c2", "summary").integer("balance") == 2


def test_queries_stream_across_pages(tables):
    ledger = tables.table("ledger")
    for start in range(0, 250, 100):
        ledger.transact([create("c3", f"pay:{i:04d}", {"amount": i}) for i in range(start, min(start + 100, 250))])
    records = list(ledger.partition("c3", page_size=40))
    assert [r.integer("amount") for r in records] == list(range(250))
    first = next(ledger.query("PartitionKey eq @pk and amount ge @min", {"pk": "c3", "min": 245}, page_size=2))
    assert first["amount"] == 245


def test_messages_are_base64_json_on_the_wire_as_the_functions_host_expects(settings, azurite):
    queue = MessageQueue.from_settings(settings.storage, settings.service_requests_queue)
    queue.ensure()
    queue.send_json({"case_id": "case-1", "title": "欺诈调查"})
    raw = QueueClient.from_connection_string(azurite.connection_string, settings.service_requests_queue)
    wire = next(iter(raw.peek_messages()))
    assert json.loads(base64.b64decode(wire.content)) == {"case_id": "case-1", "title": "欺诈调查"}
    received = queue.receive(max_messages=1, visibility_timeout=1)
    assert json.loads(received[0].body) == {"case_id": "case-1", "title": "欺诈调查"}


def test_moving_a_message_to_poison_keeps_its_body(settings):
    queue = MessageQueue.from_settings(settings.storage, settings.service_requests_queue)
    queue.ensure()
    queue.send_json({"case_id": "bad"})
    message = queue.receive(max_messages=1)[0]
    queue.move_to_poison(message)
    assert queue.approximate_count() == 0
    assert [json.loads(body) for body in queue.peek(poison=True)] == [{"case_id": "bad"}]


def test_storage_that_is_down_is_reported_as_unavailable(settings):
    from lib.azurite_process import connection_string, free_port
    from lib.settings import StorageSettings

    port = free_port()
    down = StorageSettings(connection_string=connection_string("127.0.0.1", port, port, port))
    store = TableStore.from_settings(down, "x", retry_total=0, connection_timeout=1)
    with pytest.raises(StorageUnavailable):
        store.ping()
