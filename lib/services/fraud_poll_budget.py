"""The fraud poll's call budget: which customers' usage one run reads, and the record of what it read.

A run spends at most `FRAUD_POLL_CALL_BUDGET` Partner Center calls, counted on the client itself (every attempt,
retries included, since each one counts against Partner Center's rate limits), listing calls included. The order
comes from the pure schedule (lib/domain/usage_read_schedule.py): customers with new fraud events, new customers,
customers with recent findings, those about to pass `FRAUD_USAGE_MAX_AGE_HOURS`, then the rest at an even pace.
The customer list itself is read at most hourly (LIST_CUSTOMERS_EVERY).
Reads are recorded as the run goes (flushed in batches), so a run stopped by the budget, a 429 or a crash resumes
where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime, timedelta

from lib.domain.usage_read_schedule import UsageReadPlan, UsageReadState, plan_usage_reads
from lib.ncrontab import parse_ncrontab
from lib.partner_center.errors import PartnerCenterError, RetriesExhaustedError
from lib.store.usage_reads import UsageReads
from lib.store.watermarks import Watermarks

_FLUSH_EVERY = 100
# Listing 20,000 customers costs 200 calls (100 a page), two thirds of a run's default budget, so the poll lists
# at most this often and plans the runs in between from the customers it has stored.
LIST_CUSTOMERS_EVERY = timedelta(hours=1)
LISTED_KEY = ("watermark", "fraud_poll_customers_listed")


def run_interval(schedule: str, now: datetime) -> timedelta:
    """The gap between the poll's next two runs on its NCRONTAB schedule (15 minutes by default)."""
    parsed = parse_ncrontab(schedule)
    first = parsed.next_after(now)
    return parsed.next_after(first) - first


def is_throttled(exc: PartnerCenterError) -> bool:
    """Partner Center still answered 429 after the client's retries: stop the run, the next one resumes."""
    return isinstance(exc, RetriesExhaustedError) and exc.status == 429


class FraudPollBudget:
    def __init__(self, reads: UsageReads, watermarks: Watermarks, *, budget: int, max_age: timedelta,
                 run_interval: timedelta, calls: Callable[[], int], clock: Callable[[], datetime]) -> None:
        self._watermarks = watermarks
        self._reads = reads
        self._budget = budget
        self._max_age = max_age
        self._run_interval = run_interval
        self._calls = calls
        self._clock = clock
        self._started_at_call = 0
        self._known: dict[str, UsageReadState] = {}
        self._pending: list[UsageReadState] = []
        self.plan: UsageReadPlan | None = None
        self.read_count = 0

    def begin(self) -> None:
        """At the start of a run, before its listing calls, which the budget covers too."""
        self._started_at_call = self._calls()
        self._pending, self.plan, self.read_count = [], None, 0

    def customers(self, list_customers: Callable[[], Iterable[str]]) -> list[str]:
        """Every customer, from Partner Center when the last listing is older than LIST_CUSTOMERS_EVERY, else
        from the stored rows."""
        self._known = self._reads.all()
        now = self._clock()
        listed = self._watermarks.get(*LISTED_KEY)
        if listed is not None and datetime.fromisoformat(listed) > now - LIST_CUSTOMERS_EVERY:
            return list(self._known)
        customers = list(list_customers())
        self._reads.add([cid for cid in customers if cid not in self._known], seen_at=now)
        self._watermarks.set(*LISTED_KEY, now.isoformat())
        return customers

    def order(self, customers: Sequence[str], urgent: Collection[str]) -> tuple[str, ...]:
        remaining = max(0, self._budget - self.spent)
        self.plan = plan_usage_reads(customers, self._known, now=self._clock(), budget=remaining,
                                     max_age=self._max_age, run_interval=self._run_interval, urgent=urgent)
        return self.plan.reads

    @property
    def spent(self) -> int:
        return self._calls() - self._started_at_call

    def affordable(self) -> bool:
        return self.spent < self._budget

    def read(self, customer_id: str, *, finding: bool) -> None:
        now = self._clock()
        before = self._known.get(customer_id)
        last_finding = now if finding else (before.last_finding if before else None)
        self._pending.append(UsageReadState(customer_id, now, last_finding))
        self.read_count += 1
        if len(self._pending) >= _FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        self._reads.record(pending)

    def counts(self) -> dict[str, int]:
        plan = self.plan
        return {"calls": self.spent, "call_budget": self._budget, "usage_reads": self.read_count,
                "planned_reads": len(plan.reads) if plan else 0, "must_read": plan.must if plan else 0,
                "must_read_left": plan.must_left if plan else 0}
