"""The delinquency scan over a large book: accounts/s against the same run's raw-storage floor, and memory.

    python -m bench.scan [--accounts 100000] [--changed-percent 1]

Seeds the accounts index in bulk (entity-group batches of 100 per partition), then times: the floor (a raw paged
read of every account, the 16 partitions concurrently, as the scan reads them), a full scan with nothing to do,
and a full scan in which 1% of customers cross into the suspension stage (shadow mode: decided, recorded, each
one re-read from its ledger, no Partner Center calls). Memory is the process's peak RSS growth during each scan.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from azure.data.tables import TableServiceClient

from lib.app_context import get_context, reset_context
from lib.azurite_process import start_azurite
from lib.domain.events import BillingEvent, InvoiceIssued
from lib.domain.summary import LedgerSummary
from lib.store.accounts import BUCKETS, bucket_of
from lib.store.entities import to_entity
from lib.store.summary_codec import summary_to_values


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed_accounts(connection: str, table_name: str, count: int) -> None:
    service = TableServiceClient.from_connection_string(connection)
    table = service.get_table_client(table_name)
    values = summary_to_values(LedgerSummary(currency="CNY", balance=0, version=1))
    by_bucket: dict[str, list[dict[str, object]]] = {b: [] for b in BUCKETS}
    for _ in range(count):
        customer = str(uuid.uuid4())
        by_bucket[bucket_of(customer)].append(to_entity(bucket_of(customer), customer,
                                                        {**values, "stage": "current"}))
    batches = [rows[i:i + 100] for rows in by_bucket.values() for i in range(0, len(rows), 100)]
    done = 0
    started = time.perf_counter()

    def write(batch: list[dict[str, object]]) -> None:
        table.submit_transaction([("upsert", row) for row in batch])

    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in pool.map(write, batches):
            done += 1
            if done % 100 == 0 or done == len(batches):
                print(f"\r  seeding accounts: {done * 100 // len(batches)}% ({min(done * 100, count)} rows)",
                      end="", file=sys.stderr, flush=True)
    print(f"\n  seeded {count} accounts in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def floor_read(connection: str, table_name: str) -> tuple[int, float]:
    table = TableServiceClient.from_connection_string(connection).get_table_client(table_name)

    def read(bucket: str) -> int:
        return sum(1 for _ in table.query_entities("PartitionKey eq @pk", parameters={"pk": bucket},
                                                   results_per_page=1000))

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(BUCKETS)) as pool:
        total = sum(pool.map(read, BUCKETS))
    return total, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--changed-percent", type=float, default=1.0)
    args = parser.parse_args(argv)
    azurite = start_azurite()
    try:
        os.environ.update({"AzureWebJobsStorage": azurite.connection_string, "CSPGUARD_TABLE_PREFIX": "bench",
                           "ENFORCEMENT_MODE": "shadow"})
        reset_context()
        context = get_context()
        context.tables.ensure_tables()
        accounts_table = f"{context.settings.table_prefix}accounts"
        seed_accounts(azurite.connection_string, accounts_table, args.accounts)
        now = datetime.now(UTC)
        lines = [f"bench.scan: {args.accounts} accounts"]

        total, seconds = floor_read(azurite.connection_string, accounts_table)
        lines.append(f"floor: raw paged read     {total:>7} rows in {seconds:6.2f} s = {total / seconds:8.0f} rows/s")
        floor_rate = total / seconds

        before = rss_mb()
        started = time.perf_counter()
        quiet = context.delinquency_scan().run(now)
        seconds = time.perf_counter() - started
        lines.append(f"scan, nothing to do       {quiet.accounts:>7} rows in {seconds:6.2f} s = "
                     f"{quiet.accounts / seconds:8.0f} rows/s  ({quiet.accounts / seconds / floor_rate:.2f}x floor, "
                     f"changed {quiet.changed}, peak RSS +{rss_mb() - before:.0f} MB)")

        changed = int(args.accounts * args.changed_percent / 100)
        ingestion = context.ingestion()
        due = now - timedelta(days=40)

        def owe(n: int) -> None:
            customer = str(uuid.uuid4())
            ingestion.ingest(BillingEvent("bench", f"inv-{n}", "invoice.issued", due, customer,
                                          InvoiceIssued(f"INV-{n}", 500_000, "CNY", due - timedelta(days=30), due)))

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(owe, range(changed)))
        before = rss_mb()
        started = time.perf_counter()
        busy = context.delinquency_scan().run(now)
        seconds = time.perf_counter() - started
        lines.append(f"scan, {args.changed_percent:g}% changed        {busy.accounts:>7} rows in {seconds:6.2f} s = "
                     f"{busy.accounts / seconds:8.0f} rows/s  (changed {busy.changed}, shadow suspensions "
                     f"{busy.shadow_suspensions}, withheld {dict(busy.withheld)}, "
                     f"peak RSS +{rss_mb() - before:.0f} MB)")
        lines.append("target: the no-change scan within 1.5x of the floor's time; memory flat")
        print("\n".join(lines))
        return 0
    finally:
        azurite.stop()


if __name__ == "__main__":
    sys.exit(main())
