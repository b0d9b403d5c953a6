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


def test_a_released_lease_leaves_no_row_so_the_next_taker_needs_one_insert(tables):
    table = tables.table("runs")
    leases = Leases(table)
    taken = leases.acquire("job3", duration=timedelta(minutes=1))
    assert table.get("lease", "job3").text("holder") == taken.holder
    leases.release(taken)
    assert table.get("lease", "job3") is None
    calls = []
    original = table.get
    table.get = lambda *args: calls.append(args) or original(*args)
    again = leases.acquire("job3", duration=timedelta(minutes=1))
    assert calls == [] and table.get("lease", "job3").text("holder") == again.holder


def test_a_stale_release_does_not_remove_the_next_holders_lease(tables):
    table = tables.table("runs")
    leases = Leases(table)
    crashed = leases.acquire("job4", duration=timedelta(minutes=1))
    later = datetime.now(UTC) + timedelta(minutes=2)
    successor = leases.acquire("job4", duration=timedelta(minutes=5), now=later)
    leases.release(crashed)  # its ETag is stale: the successor's row stays
    assert table.get("lease", "job4").text("holder") == successor.holder


def test_a_lease_row_from_before_releases_deleted_is_taken_over(tables):
    table = tables.table("runs")
    table.upsert("lease", "job5", {"holder": "", "expires_at": datetime.now(UTC) - timedelta(days=1)})
    taken = Leases(table).acquire("job5", duration=timedelta(minutes=1))
    assert table.get("lease", "job5").text("holder") == taken.holder
