"""Leases that cannot silently expire (issue 12.6): renewed while work goes on, and work stops once one is lost."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from lib.services.write_gate import Asker
from lib.store.leases import CustomerLocks, LeaseHeld, LeaseKeeper, LeaseLost, Leases
from tests.fixtures.sandbox import sandbox_calls
from tests.support.suspension_world import seeded_customer, world

pytestmark = pytest.mark.integration
SHORT = timedelta(seconds=1)


def steal(leases, job):
    """Another process, deciding the lease has run out, takes it."""
    return leases.acquire(job, duration=timedelta(minutes=5), holder="thief",
                          now=datetime.now(UTC) + timedelta(minutes=10))


def wait_for(event, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not event.is_set() and time.monotonic() < deadline:
        time.sleep(0.05)
    return event.is_set()


def test_a_customer_lock_held_past_its_duration_is_renewed_and_still_excludes_others(tables):
    leases = Leases(tables.table("runs"))
    locks = CustomerLocks(leases, duration=timedelta(seconds=2), wait=timedelta(0))
    with locks.hold("c-1") as keeper:
        time.sleep(5)  # a Partner Center call retrying for longer than the lock's duration
        with pytest.raises(LeaseHeld), locks.hold("c-1"):
            pass
        keeper.ensure_held()
    with locks.hold("c-1"):  # released on the way out
        pass


def test_a_keeper_marks_its_lease_lost_when_another_holder_takes_it(tables):
    leases = Leases(tables.table("runs"))
    lease = leases.acquire("job", duration=SHORT)
    with LeaseKeeper(leases, lease, SHORT) as keeper:
        steal(leases, "job")
        assert wait_for(keeper.lost)
        with pytest.raises(LeaseLost):
            keeper.ensure_held()
    assert leases.acquire("job", duration=SHORT, holder="thief").holder == "thief"  # not released under the thief


def test_a_suspension_whose_customer_lock_was_lost_stops_before_any_patch(tables, pc_sandbox, pc_client):
    customer, _subs = seeded_customer(pc_sandbox, ("active",))
    w = world(tables, pc_client)
    leases = Leases(tables.table("runs"))
    w.service.locks = CustomerLocks(leases, duration=SHORT, wait=timedelta(seconds=5))
    with w.service.locks.hold(customer) as keeper:
        steal(leases, f"customer:{customer}")
        assert wait_for(keeper.lost)
        with pytest.raises(LeaseLost):
            w.service.suspend_locked(customer, reason="fraud", actor="poll", asker=Asker.AUTOMATIC)
    assert sandbox_calls(pc_sandbox, method="PATCH") == []
