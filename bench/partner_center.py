"""Suspending customers through the suspension service against the sandbox with injected latency.

    python -m bench.partner_center [--customers 500] [--subscriptions 3] [--latency-ms 50] [--workers 16]

Prints wall time and throughput sequentially and with bounded concurrency, and the Partner Center calls made per
subscription: the target is one GET (the customer's subscription list, shared by its subscriptions) and one PATCH
per state change, and none at all when asked again for what is already in force.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import requests

from lib.azurite_process import start_azurite
from lib.partner_center.client import PartnerCenterClient
from lib.partner_center.sandbox.server import SandboxHandle, start_background
from lib.partner_center.tokens import StaticTokenProvider
from lib.services.proposal_recording import TableProposals
from lib.services.suspension import SuspensionService
from lib.services.write_gate import Asker, WriteGate
from lib.settings import StorageSettings
from lib.store.actions import Actions
from lib.store.leases import CustomerLocks, Leases
from lib.store.proposals import Proposals
from lib.store.subscriptions import Subscriptions
from lib.store.tables import TableStore


def seed(sandbox: SandboxHandle, customers: int, subscriptions: int) -> list[str]:
    ids = [str(uuid.uuid4()) for _ in range(customers)]
    payload = {"customers": [{"id": cid, "companyName": f"基准客户 {n}",
                              "subscriptions": [{"id": str(uuid.uuid4()), "offerName": "Azure plan"}
                                                for _ in range(subscriptions)]}
                             for n, cid in enumerate(ids)]}
    requests.post(f"{sandbox.url}/_sandbox/customers", json=payload, timeout=60).raise_for_status()
    return ids


def service(sandbox: SandboxHandle, store: TableStore) -> SuspensionService:
    client = PartnerCenterClient(sandbox.url, StaticTokenProvider("bench"))
    actions = Actions(store.table("actions"))
    gate = WriteGate(client, TableProposals(Proposals(store.table("proposals")), actions), mode="enforce", paused=False)
    return SuspensionService(client, gate, Subscriptions(store.table("subscriptions")), actions,
                             CustomerLocks(Leases(store.table("runs")), wait=timedelta(seconds=60)))


def calls(sandbox: SandboxHandle) -> Counter[str]:
    made = requests.get(f"{sandbox.url}/_sandbox/calls", timeout=60).json()["calls"]
    requests.delete(f"{sandbox.url}/_sandbox/calls", timeout=10)
    return Counter(c["method"] for c in made)


def run(label: str, suspension: SuspensionService, customers: list[str], workers: int) -> tuple[str, float]:
    started = time.perf_counter()

    def one(customer: str) -> Any:
        return suspension.suspend(customer, reason="non_payment", actor="bench", asker=Asker.OPERATOR)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        statuses = Counter(action.status for action in pool.map(one, customers))
    seconds = time.perf_counter() - started
    return f"{label:<28} {len(customers):>5} customers in {seconds:7.2f} s = {len(customers) / seconds:6.1f}/s " \
           f"{dict(statuses)}", seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--subscriptions", type=int, default=3)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args(argv)
    azurite = start_azurite()
    sandbox = start_background()
    try:
        store = TableStore.from_settings(StorageSettings(connection_string=azurite.connection_string), "bench")
        store.ensure_tables()
        requests.post(f"{sandbox.url}/_sandbox/faults", timeout=10,
                      json={"path": "^/v1/", "delay_ms": args.latency_ms, "times": -1}).raise_for_status()
        sequential_ids = seed(sandbox, args.customers, args.subscriptions)
        concurrent_ids = seed(sandbox, args.customers, args.subscriptions)
        suspension = service(sandbox, store)
        calls(sandbox)
        lines = [f"bench.partner_center: {args.customers} customers x {args.subscriptions} subscriptions, "
                 f"{args.latency_ms} ms injected latency per Partner Center call"]
        line, sequential = run("sequential", suspension, sequential_ids, 1)
        lines.append(line)
        made = calls(sandbox)
        changes = args.customers * args.subscriptions
        lines.append(f"  calls per suspended subscription: GET {made['GET'] / changes:.2f}  "
                     f"PATCH {made['PATCH'] / changes:.2f}  (GET is the customer's list, shared by its subscriptions)")
        line, concurrent = run(f"concurrent ({args.workers} workers)", suspension, concurrent_ids, args.workers)
        lines.append(line)
        calls(sandbox)
        line, _ = run("again: no-ops", suspension, concurrent_ids, args.workers)
        lines.append(line)
        made = calls(sandbox)
        lines.append(f"  calls for the no-op pass: {sum(made.values())}")
        lines.append(f"speed-up with {args.workers} workers: {sequential / concurrent:.1f}x")
        print("\n".join(lines))
        return 0
    finally:
        sandbox.stop()
        azurite.stop()


if __name__ == "__main__":
    sys.exit(main())
