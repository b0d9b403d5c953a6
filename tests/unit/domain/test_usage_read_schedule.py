"""The fraud poll's usage-read schedule: within budget, new and suspicious customers first, everyone read within
the maximum age when the budget allows it, and the rest spread evenly over the runs."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.domain.usage_read_schedule import UsageReadState, plan_usage_reads

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
DAY = timedelta(hours=24)
RUN = timedelta(minutes=15)


def plan(customers, known=None, *, budget=300, urgent=(), now=NOW):
    return plan_usage_reads(customers, known or {}, now=now, budget=budget, max_age=DAY, run_interval=RUN,
                            urgent=urgent)


def read(customer, hours_ago, finding_hours_ago=None):
    return UsageReadState(customer, NOW - timedelta(hours=hours_ago),
                          None if finding_hours_ago is None else NOW - timedelta(hours=finding_hours_ago))


def test_new_customers_and_fresh_events_come_first_and_the_budget_is_never_exceeded():
    known = {f"c{i}": read(f"c{i}", 23.9) for i in range(10)}
    result = plan([*known, "new-1", "new-2"], known, budget=4, urgent=["c7"])
    assert result.reads == ("c7", "new-1", "new-2", "c0")
    assert result.must_left == 8  # eight customers about to pass the maximum age did not fit


def test_a_customer_with_a_recent_finding_is_read_before_the_routine_ones():
    known = {"a": read("a", 1), "b": read("b", 2, finding_hours_ago=3), "c": read("c", 20)}
    assert plan(["a", "b", "c"], known, budget=1).reads == ("b",)


def test_the_rest_is_read_oldest_first_at_an_even_pace():
    known = {f"c{i:03d}": read(f"c{i:03d}", hours_ago=i / 10) for i in range(192)}  # all read in the last 20 h
    result = plan(list(known), known)
    assert result.pace == 3 and result.must == 0  # 192 customers over 96 runs a day, with a quarter's headroom
    assert result.reads == ("c191", "c190", "c189")


def test_a_bad_budget_is_refused():
    with pytest.raises(ValueError, match="budget"):
        plan(["a"], budget=-1)


@settings(max_examples=40, deadline=None)
@given(customers=st.integers(1, 1500), budget=st.integers(1, 120), late_joiners=st.integers(0, 200))
def test_simulated_runs_keep_every_read_within_the_maximum_age_when_the_budget_allows(customers, budget,
                                                                                      late_joiners):
    names = [f"c{i}" for i in range(customers)]
    known: dict[str, UsageReadState] = {}
    last: dict[str, datetime] = {}
    longest = timedelta(0)
    runs = 4 * 96  # four days of 15-minute runs
    for run in range(runs):
        now = NOW + run * RUN
        caught_up = run == 96 and set(last) == set(names)
        if run == 96:
            names += [f"late{i}" for i in range(late_joiners)]
        result = plan(names, known, budget=budget, now=now)
        assert len(result.reads) <= budget and len(set(result.reads)) == len(result.reads)
        for customer in result.reads:
            if customer in last:
                longest = max(longest, now - last[customer])
            last[customer] = now
            known[customer] = UsageReadState(customer, now)
        if caught_up and budget >= late_joiners:
            assert {f"late{i}" for i in range(late_joiners)} <= set(result.reads)  # new ones at once
    feasible = budget >= 2 * (len(names) * RUN / DAY) + 1
    if feasible:
        assert longest <= DAY
        assert set(last) == set(names)
