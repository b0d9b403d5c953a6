"""The fraud poll's call budget over a large partner: calls per run, the longest gap between two reads of one
customer, and how many runs it takes to read everyone.

    python -m bench.fraud_poll [--customers 20000] [--budget 300] [--max-age-hours 24] [--days 3]
                               [--new-per-day 50] [--findings-per-day 20]
    python -m bench.fraud_poll --sandbox [--customers 20000] [--runs 120]

A simulation of the runs on the poll's schedule (every 15 minutes) with the real scheduling code
(`lib.domain.usage_read_schedule.plan_usage_reads`), not the sandbox: seeding 20,000 customers into the sandbox
and polling them for days would take hours of wall time for the same figures. Each run spends two listing calls
(fraud events every run; the customer list hourly, 200 pages of 100 for 20,000 customers, counted as such) and one
call per usage read; new customers join during the day and some reads produce findings, which make those customers read
again in the following runs. Every figure comes from the plans the function returned.

`--sandbox` checks the simulation against the real thing: the fraud poll itself (`FraudPoll.run`, its budget, the
Partner Center client, its state in Azurite) against the sandbox seeded with the customers, for `--runs` runs whose
clock moves 15 minutes each. Calls are counted by the sandbox, which records every request it answers.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from lib.domain.usage_read_schedule import UsageReadState, plan_usage_reads
from lib.services.fraud_poll_budget import LIST_CUSTOMERS_EVERY

RUN = timedelta(minutes=15)
PAGE = 100  # Partner Center's customer list page size
LIST_EVERY_RUNS = int(LIST_CUSTOMERS_EVERY / RUN)


def _fixed(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def against_sandbox(customers: int, runs: int, budget: int, max_age_hours: int) -> int:
    import os

    import requests

    from lib.app_context import get_context, reset_context
    from lib.azurite_process import start_azurite
    from lib.partner_center.sandbox.server import start_background

    azurite, sandbox = start_azurite(), start_background()
    try:
        os.environ.update({"AzureWebJobsStorage": azurite.connection_string, "CSPGUARD_TABLE_PREFIX": "benchfp",
                           "PARTNER_CENTER_BASE_URL": sandbox.url, "PARTNER_CENTER_STATIC_TOKEN": "bench",
                           "FRAUD_POLL_CALL_BUDGET": str(budget), "FRAUD_USAGE_MAX_AGE_HOURS": str(max_age_hours),
                           "ENFORCEMENT_MODE": "shadow"})
        reset_context()
        context = get_context()
        context.tables.ensure_tables()
        ids = [f"00000000-0000-4000-8000-{i:012d}" for i in range(customers)]
        for first in range(0, customers, 2000):
            requests.post(f"{sandbox.url}/_sandbox/customers", timeout=120, json={"customers": [
                {"id": cid, "companyName": f"客户 {cid[-6:]}", "subscriptions": [{"id": f"az-{cid[-6:]}"}],
                 "usage": {"totalCost": "10.00", "budget": 5000}} for cid in ids[first:first + 2000]]},
                          ).raise_for_status()
        start = datetime.now(UTC)
        last_read: dict[str, datetime] = {}
        longest = timedelta(0)
        calls: list[int] = []
        covered_after: int | None = None
        started = time.perf_counter()
        for run in range(runs):
            now = start + run * RUN
            context.clock = _fixed(now)
            requests.delete(f"{sandbox.url}/_sandbox/calls", timeout=30)
            context.fraud_poll().run()
            made = requests.get(f"{sandbox.url}/_sandbox/calls", timeout=60).json()["calls"]
            calls.append(len(made))
            for call in made:
                if call["path"].endswith("/usagesummary"):
                    customer = call["path"].split("/")[3]
                    if customer in last_read:
                        longest = max(longest, now - last_read[customer])
                    last_read[customer] = now
            if covered_after is None and len(last_read) >= customers:
                covered_after = run + 1
            if (run + 1) % 10 == 0:
                print(f"\r  run {run + 1}/{runs}: {len(last_read)} customers read", end="", file=sys.stderr,
                      flush=True)
        wall = time.perf_counter() - started
        end = start + runs * RUN  # as in the simulation: a customer still waiting at the end counts too
        longest = max([longest, *(end - t for t in last_read.values())]) if last_read else longest
        print(f"\nbench.fraud_poll --sandbox: {customers} customers, budget {budget} calls/run, {runs} runs 15 "
              f"minutes apart ({wall:.1f} s of wall time, {wall / runs:.2f} s a run): the real poll, its client and "
              "its state in Azurite, counted by the sandbox")
        print(f"fraud_poll: customers={customers} calls_per_run_max={max(calls)} "
              f"calls_per_run_mean={sum(calls) / len(calls):.1f} longest_gap_h={longest.total_seconds() / 3600:.2f} "
              f"runs_to_cover_everyone={covered_after}")
        return 0
    finally:
        sandbox.stop()
        azurite.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--max-age-hours", type=int, default=24)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--new-per-day", type=int, default=50)
    parser.add_argument("--findings-per-day", type=int, default=20)
    parser.add_argument("--sandbox", action="store_true", help="run the real poll against the sandbox and Azurite")
    parser.add_argument("--runs", type=int, default=120, help="with --sandbox: how many runs")
    args = parser.parse_args(argv)
    if args.sandbox:
        return against_sandbox(args.customers, args.runs, args.budget, args.max_age_hours)
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
