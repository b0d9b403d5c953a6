"""Which customers' usage the fraud poll reads in one run, within a call budget, fairly.

Order of precedence: customers with new Partner Center fraud events, customers never read (new ones), customers
with a recent finding, then customers whose last read would pass the maximum age within a few runs (oldest first).
Those must be read now. The rest are read oldest first at the pace that reads everyone once per maximum age
(customers x run interval / maximum age per run, with headroom), so the load is spread evenly over the runs instead
of arriving all at once. Nothing is ever planned beyond the budget; what the budget cannot fit is counted, so an
operator sees that the budget is too small for the book.

Pure: times are explicit and timezone-aware; the caller keeps the state (see lib/store/usage_reads.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# Some runs have fewer calls for reads (the hourly customer listing, budgets set, onboarding look-ups): the others
# read this much more than the bare even share, and a customer counts as due this many runs before its read would
# pass the maximum age, so those runs are made up before anyone's read gets too old.
HEADROOM = 1.25
LOOKAHEAD_RUNS = 4


@dataclass(frozen=True)
class UsageReadState:
    customer_id: str
    last_read: datetime | None = None
    last_finding: datetime | None = None


@dataclass(frozen=True)
class UsageReadPlan:
    reads: tuple[str, ...]  # in the order to read them
    must: int  # how many had to be read this run (urgent, new, recent findings, about to be too old)
    pace: int  # the even share of the rest per run
    must_left: int  # customers that had to be read but did not fit the budget


def plan_usage_reads(customers: Sequence[str], known: Mapping[str, UsageReadState], *, now: datetime, budget: int,
                     max_age: timedelta, run_interval: timedelta, urgent: Collection[str] = ()) -> UsageReadPlan:
    if budget < 0 or max_age <= timedelta(0) or run_interval <= timedelta(0):
        raise ValueError("budget must be >= 0, max_age and run_interval positive")
    everyone = list(dict.fromkeys([*urgent, *customers]))
    stale_before = now - max_age + LOOKAHEAD_RUNS * run_interval  # read before this: too old soon
    first, new, flagged, stale, rest = [], [], [], [], []
    for customer in everyone:
        state = known.get(customer)
        if customer in urgent:
            first.append(customer)
        elif state is None or state.last_read is None:
            new.append(customer)
        elif state.last_finding is not None and state.last_finding > now - max_age:
            flagged.append(customer)
        elif state.last_read <= stale_before:
            stale.append(customer)
        else:
            rest.append(customer)
    oldest_first = _oldest_first(known)
    stale.sort(key=oldest_first)
    rest.sort(key=oldest_first)
    must = [*first, *new, *flagged, *stale]
    pace = math.ceil(len(everyone) * (run_interval / max_age) * HEADROOM)
    target = min(budget, max(len(must), pace))
    reads = [*must, *rest][:target]
    return UsageReadPlan(tuple(reads), len(must), pace, max(0, len(must) - len(reads)))


def _oldest_first(known: Mapping[str, UsageReadState]) -> Callable[[str], tuple[datetime, str]]:
    def key(customer: str) -> tuple[datetime, str]:
        state = known.get(customer)
        assert state is not None and state.last_read is not None
        return state.last_read, customer

    return key
