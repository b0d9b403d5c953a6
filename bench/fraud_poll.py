"""The fraud poll's call budget over a large partner: calls per run, the longest gap between two reads of one
customer, and how many runs it takes to read everyone.

    python -m bench.fraud_poll [--customers 20000] [--budget 300] [--max-age-hours 24] [--days 3]
                               [--new-per-day 50] [--findings-per-day 20]

A simulation of the runs on the poll's schedule (every 15 minutes) with the real scheduling code
(`lib.domain.usage_read_schedule.plan_usage_reads`), not the sandbox: seeding 20,000 customers into the sandbox
and polling them for days would take hours of wall time for the same figures. Each run spends two listing calls
(fraud events every run; the customer list hourly, 200 pages of 100 for 20,000 customers, counted as such) and one
call per usage read; new customers join during the day and some reads produce findings, which make those customers read
again in the following runs. Every figure comes from the plans the function returned.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from datetime import UTC, datetime, timedelta

from lib.domain.usage_read_schedule import UsageReadState, plan_usage_reads
from lib.services.fraud_poll_budget import LIST_CUSTOMERS_EVERY

RUN = timedelta(minutes=15)
PAGE = 100  # Partner Center's customer list page size
LIST_EVERY_RUNS = int(LIST_CUSTOMERS_EVERY / RUN)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--max-age-hours", type=int, default=24)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--new-per-day", type=int, default=50)
    parser.add_argument("--findings-per-day", type=int, default=20)
    args = parser.parse_args(argv)
    rng = random.Random(16)
    max_age = timedelta(hours=args.max_age_hours)
    customers = [f"c{i:06d}" for i in range(args.customers)]
    listed: list[str] = []
    known: dict[str, UsageReadState] = {}
    last_read: dict[str, datetime] = {}
    longest = timedelta(0)
    calls: list[int] = []
    covered_after: int | None = None
    late_reads = 0
    start = datetime(2026, 12, 1, tzinfo=UTC)
    runs = args.days * 96
    finding_chance = args.findings_per_day / 96 / max(1, args.budget)
    for run in range(runs):
        now = start + run * RUN
        joining = args.new_per_day * (run + 1) // 96 - args.new_per_day * run // 96
        customers += [f"n{run:04d}-{i}" for i in range(joining)]
        if run % LIST_EVERY_RUNS == 0:  # the customer list is read hourly; new customers show up then
            listed = list(customers)
        listing = 1 + (math.ceil(len(customers) / PAGE) if run % LIST_EVERY_RUNS == 0 else 0)
        plan = plan_usage_reads(listed, known, now=now, budget=max(0, args.budget - listing), max_age=max_age,
                                run_interval=RUN)
        calls.append(listing + len(plan.reads))
        for customer in plan.reads:
            if customer in last_read:
                longest = max(longest, now - last_read[customer])
                late_reads += int(now - last_read[customer] > max_age)
            last_read[customer] = now
            finding = rng.random() < finding_chance
            before = known.get(customer)
            known[customer] = UsageReadState(customer, now, now if finding else (before.last_finding if before
                                                                                 else None))
        if covered_after is None and len(last_read) >= args.customers:
            covered_after = run + 1
    never = len(customers) - len(last_read)
    # The longest gap also counts customers still waiting for a re-read at the end.
    end = start + runs * RUN
    longest = max([longest, *(end - t for t in last_read.values())]) if last_read else longest
    print(f"bench.fraud_poll: {args.customers} customers (+{args.new_per_day}/day), budget {args.budget} calls/run, "
          f"runs every 15 min for {args.days} days, usage at most {args.max_age_hours} h old "
          "(simulation with the real schedule)")
    print(f"listing calls: 1 per run (fraud events), plus {math.ceil(args.customers / PAGE)} hourly (customers by "
          f"pages of {PAGE})")
    print(f"reads later than the maximum age: {late_reads}; customers never read: {never} (joined after the last "
          "hourly listing)")
    print(f"fraud_poll: customers={args.customers} calls_per_run_max={max(calls)} "
          f"calls_per_run_mean={sum(calls) / len(calls):.1f} longest_gap_h={longest.total_seconds() / 3600:.2f} "
          f"runs_to_cover_everyone={covered_after}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
