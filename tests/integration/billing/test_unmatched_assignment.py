"""An unmatched event is assigned once (issue 12, item 5), against Table Storage in Azurite."""

import threading
import uuid
from datetime import UTC, datetime

import pytest

from lib.domain.events import BillingEvent, PaymentSucceeded
from lib.services.assign_unmatched import AlreadyAssigned, UnmatchedAssignment, UnmatchedEventMissing
from lib.services.ingest_event import LedgerIngestion
from lib.store.accounts import Accounts
from lib.store.ledger import LedgerBook
from lib.store.unmatched import UnmatchedEvents
from tests.support.billing_events import new_customer

pytestmark = pytest.mark.integration

PAID_AT = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)


def orphan_payment(amount: int = 88_000) -> BillingEvent:
    event_id = f"evt_{uuid.uuid4().hex[:12]}"
    fact = PaymentSucceeded(payment_id=f"pi_{event_id}", amount=amount, currency="CNY", paid_at=PAID_AT)
    return BillingEvent("stripe", event_id, "invoice.paid", PAID_AT, None, fact)


def ingestion(tables) -> LedgerIngestion:
    return LedgerIngestion(LedgerBook(tables.table("ledger")), Accounts(tables.table("accounts")),
                           UnmatchedEvents(tables.table("unmatched")))


def assignment(tables) -> UnmatchedAssignment:
    return UnmatchedAssignment(UnmatchedEvents(tables.table("unmatched")), ingestion(tables))


def credited(tables, customer: str) -> int:
    summary = tables.table("ledger").get(customer, "summary")
    return 0 if summary is None else -summary.integer("balance")


def test_a_redelivery_never_reopens_an_assigned_event(tables):
    event = orphan_payment()
    assert ingestion(tables).ingest(event, b"{}").status == "unmatched"
    customer = new_customer()
    assert assignment(tables).assign("stripe", event.event_id, customer_id=customer, actor="op").status == "recorded"

    again = ingestion(tables).ingest(event, b"{}")

    assert (again.status, again.customer_id) == ("duplicate", customer)
    kept = UnmatchedEvents(tables.table("unmatched")).get("stripe", event.event_id)
    assert (kept.status, kept.assigned_to) == ("assigned", customer)
    assert credited(tables, customer) == 88_000


def test_a_redelivery_of_an_open_event_keeps_the_first_copy(tables):
    event = orphan_payment()
    ingestion(tables).ingest(event, b"first")
    assert ingestion(tables).ingest(event, b"second").status == "unmatched"
    assert UnmatchedEvents(tables.table("unmatched")).get("stripe", event.event_id).body_excerpt == "first"


def test_assigning_to_a_second_customer_is_refused_and_credits_nobody_else(tables):
    event = orphan_payment()
    ingestion(tables).ingest(event, b"{}")
    first, second = new_customer(), new_customer()
    assignment(tables).assign("stripe", event.event_id, customer_id=first, actor="op")

    with pytest.raises(AlreadyAssigned, match=first) as refused:
        assignment(tables).assign("stripe", event.event_id, customer_id=second, actor="op2")

    assert refused.value.assigned_to == first
    assert credited(tables, first) == 88_000 and credited(tables, second) == 0
    assert UnmatchedEvents(tables.table("unmatched")).get("stripe", event.event_id).assigned_by == "op"


def test_assigning_again_to_the_same_customer_is_a_duplicate(tables):
    event = orphan_payment()
    ingestion(tables).ingest(event, b"{}")
    customer = new_customer()
    assignment(tables).assign("stripe", event.event_id, customer_id=customer, actor="op")
    assert assignment(tables).assign("stripe", event.event_id, customer_id=customer, actor="op").status == "duplicate"
    assert credited(tables, customer) == 88_000


def test_an_unknown_event_cannot_be_assigned(tables):
    with pytest.raises(UnmatchedEventMissing):
        assignment(tables).assign("stripe", "evt_nowhere", customer_id=new_customer(), actor="op")


@pytest.mark.parametrize("same_customer", [False, True])
def test_concurrent_assignments_credit_the_payment_exactly_once(tables, same_customer):
    event = orphan_payment()
    ingestion(tables).ingest(event, b"{}")
    shared = new_customer()
    customers = [shared if same_customer else new_customer() for _ in range(6)]
    start = threading.Barrier(len(customers))
    outcomes = []

    def assign(customer: str) -> None:
        service = assignment(tables)  # each operator's request builds its own, as the function does
        start.wait()
        try:
            outcomes.append(service.assign("stripe", event.event_id, customer_id=customer, actor="op").status)
        except AlreadyAssigned:
            outcomes.append("refused")

    threads = [threading.Thread(target=assign, args=(c,)) for c in customers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("recorded") == 1
    assert sum(credited(tables, c) for c in set(customers)) == 88_000
    winner = UnmatchedEvents(tables.table("unmatched")).get("stripe", event.event_id).assigned_to
    assert credited(tables, winner) == 88_000
    expected_losers = "duplicate" if same_customer else "refused"
    assert sorted(outcomes) == sorted(["recorded"] + [expected_losers] * 5)
