"""Recording billing events in Table Storage (Azurite): exactly once, atomic, the index kept in step."""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from lib.domain.events import parse_canonical
from lib.domain.ledger import LedgerError
from lib.services.ingest_event import LedgerIngestion
from lib.store.accounts import Accounts, bucket_of
from lib.store.ledger import LedgerBook
from lib.store.unmatched import UnmatchedEvents
from tests.support.billing_events import canonical, invoice_issued, new_customer, payment_succeeded

pytestmark = pytest.mark.integration


def ingestion(tables, cache_size=4096):
    return LedgerIngestion(LedgerBook(tables.table("ledger"), cache_size=cache_size),
                           Accounts(tables.table("accounts")), UnmatchedEvents(tables.table("unmatched")))


def event(body, event_id):
    return parse_canonical("standard", event_id, body)


def ledger_rows(tables, customer):
    return {r.row_key: r for r in tables.table("ledger").partition(customer)}


def test_an_invoice_then_a_partial_payment_leave_the_exact_balance(tables):
    customer = new_customer()
    service = ingestion(tables)
    assert service.ingest(event(invoice_issued(customer, "INV-1", 1_250_000), "e1")).status == "recorded"
    result = service.ingest(event(payment_succeeded(customer, "PAY-1", 250_000, invoice_id="INV-1"), "e2"))
    assert result.status == "recorded"
    rows = ledger_rows(tables, customer)
    assert set(rows) == {"inv:INV-1", "pay:PAY-1", "evt:standard:e1", "evt:standard:e2", "summary"}
    assert rows["summary"].integer("balance") == 1_000_000
    account = Accounts(tables.table("accounts")).get(customer)
    assert account.summary.balance == 1_000_000 and account.summary.version == 2
    assert [inv.remaining for inv in account.summary.open_invoices] == [1_000_000]


def test_a_redelivered_event_changes_nothing_but_heals_the_index(tables):
    customer = new_customer()
    service = ingestion(tables)
    body = invoice_issued(customer, "INV-1", 500_000)
    service.ingest(event(body, "e1"))
    before = ledger_rows(tables, customer)
    # simulate a crash after the ledger transaction: the index row never got written, and the provider
    # redelivers to a new process
    tables.table("accounts").delete(bucket_of(customer), customer)
    assert ingestion(tables).ingest(event(body, "e1")).status == "duplicate"
    after = ledger_rows(tables, customer)
    assert {k: r.etag for k, r in after.items()} == {k: r.etag for k, r in before.items()}
    assert Accounts(tables.table("accounts")).get(customer).summary.balance == 500_000


def test_a_duplicate_is_recognised_by_another_process_with_a_cold_cache(tables):
    customer = new_customer()
    body = invoice_issued(customer, "INV-1", 500_000)
    ingestion(tables).ingest(event(body, "e1"))
    assert ingestion(tables).ingest(event(body, "e1")).status == "duplicate"


def test_twenty_concurrent_deliveries_for_one_customer_are_each_recorded_once(tables):
    customer = new_customer()
    bodies = [(invoice_issued(customer, "INV-1", 2_000_000), "inv")]
    bodies += [(payment_succeeded(customer, f"PAY-{i}", 10_000 + i, paid_at=f"2026-11-{10 + i % 10:02d}T10:00:00Z"),
                f"pay-{i}") for i in range(19)]
    # Each worker is its own "process" (own cache), and every event is also delivered twice.
    deliveries = [*bodies, *bodies]

    def deliver(item):
        body, event_id = item
        return ingestion(tables).ingest(event(body, event_id)).status

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(deliver, deliveries))
    assert statuses.count("recorded") == 20 and statuses.count("duplicate") == 20
    rows = ledger_rows(tables, customer)
    assert sum(1 for k in rows if k.startswith("evt:")) == 20
    paid = sum(10_000 + i for i in range(19))
    assert rows["summary"].integer("balance") == 2_000_000 - paid
    assert rows["summary"].integer("summary_version") == 20
    assert Accounts(tables.table("accounts")).get(customer).summary.balance == 2_000_000 - paid


def test_an_unknown_event_type_is_acknowledged_and_stored_as_ignored(tables):
    customer = new_customer()
    result = ingestion(tables).ingest(event(canonical("customer.updated", customer_id=customer), "e9"))
    assert result.status == "ignored"
    rows = ledger_rows(tables, customer)
    assert rows["evt:standard:e9"]["status"] == "ignored" and "summary" not in rows


def test_an_event_in_another_currency_is_refused_and_changes_nothing(tables):
    customer = new_customer()
    service = ingestion(tables)
    service.ingest(event(invoice_issued(customer, "INV-1", 100_000), "e1"))
    before = ledger_rows(tables, customer)
    with pytest.raises(LedgerError):
        service.ingest(event(payment_succeeded(customer, "PAY-1", 100, currency="USD"), "e2"))
    assert set(ledger_rows(tables, customer)) == set(before)


def test_a_stale_cached_book_is_detected_by_etag_and_re_read(tables):
    customer = new_customer()
    first, second = ingestion(tables), ingestion(tables)
    first.ingest(event(invoice_issued(customer, "INV-1", 100_000), "e1"))
    second.ingest(event(invoice_issued(customer, "INV-2", 50_000, due_at="2026-12-31T23:59:59+08:00"), "e2"))
    # `first` still caches the book without INV-2; its next write must not lose INV-2
    first.ingest(event(payment_succeeded(customer, "PAY-1", 30_000), "e3"))
    summary = ledger_rows(tables, customer)["summary"]
    assert summary.integer("balance") == 120_000 and summary.integer("summary_version") == 3


def test_an_event_without_customer_is_kept_and_replayed_when_assigned(tables):
    service = ingestion(tables)
    customer = new_customer()
    body = invoice_issued(customer, "INV-7", 70_000)
    parsed = event(body, "e7")
    orphan = type(parsed)(parsed.provider, parsed.event_id, parsed.type, parsed.occurred_at, None, parsed.fact)
    assert service.ingest(orphan, json.dumps(body).encode()).status == "unmatched"
    kept = UnmatchedEvents(tables.table("unmatched")).get("standard", "e7")
    assert kept.status == "open" and "INV-7" in kept.body_excerpt
    assert service.ingest(kept.as_event(customer)).status == "recorded"
    assert ledger_rows(tables, customer)["summary"].integer("balance") == 70_000


def test_the_summary_is_derivable_from_the_stored_facts_alone(tables):
    from lib.domain.events import fact_from_record
    from lib.domain.ledger import summarize

    customer = new_customer()
    service = ingestion(tables)
    service.ingest(event(invoice_issued(customer, "INV-1", 300_000, due_at="2026-10-31T23:59:59+08:00"), "a"))
    service.ingest(event(invoice_issued(customer, "INV-2", 200_000), "b"))
    service.ingest(event(payment_succeeded(customer, "PAY-1", 350_000), "c"))
    rows = ledger_rows(tables, customer)
    facts = [fact_from_record(k, r.values) for k, r in rows.items() if not k.startswith("evt:") and k != "summary"]
    recomputed = summarize(facts, version=3)
    stored = Accounts(tables.table("accounts")).get(customer).summary
    assert recomputed == stored
    assert stored.open_invoices[0].invoice_id == "INV-2" and stored.open_invoices[0].remaining == 150_000
    assert datetime.now(UTC) > stored.open_invoices[0].due_at.replace(year=2025)
