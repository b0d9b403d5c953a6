from datetime import UTC, datetime, timedelta

import pytest

from lib.store.leases import LeaseHeld, Leases

pytestmark = pytest.mark.integration


def test_a_lease_is_exclusive_until_released_or_expired(tables):
    leases = Leases(tables.table("runs"))
    first = leases.acquire("job", duration=timedelta(minutes=1))
    with pytest.raises(LeaseHeld):
        leases.acquire("job", duration=timedelta(minutes=1))
    leases.release(first)
    second = leases.acquire("job", duration=timedelta(minutes=1))
    later = datetime.now(UTC) + timedelta(minutes=2)
    assert leases.acquire("job", duration=timedelta(minutes=1), now=later).holder != second.holder


def test_a_lease_whose_answer_was_lost_is_recognised_as_ours(tables):
    leases = Leases(tables.table("runs"))
    taken = leases.acquire("job2", duration=timedelta(minutes=1), holder="me")
    # the same holder retrying after a lost answer gets the lease instead of waiting for itself
    assert leases.acquire("job2", duration=timedelta(minutes=1), holder="me").holder == taken.holder == "me"
