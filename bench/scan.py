"""The daily scan over a large book: the agenda-driven scan against the raw read of the whole index, and the
weekly full sweep.

    python -m bench.scan [--accounts 50000] [--due-today-percent 1]

Seeds the accounts index and the agenda in bulk (entity-group batches of 100 per partition): every account owes an
invoice, and P% of them fall due so that their stage changes today; they are delivered as real invoice events
through ingestion, which files them on the agenda. The others are due on dates over the next six weeks and filed
there. Then it times the floor (a raw paged read of every account, the 16 partitions concurrently, as the full scan
reads them); the scan as the timer runs it (the agenda's range query, then the customers due sent to the
due-customers queue on Azurite); the acting on them as the queue function does it (8 messages at a time, host.json's
batchSize; shadow mode: decided, recorded, each changed customer re-read from its ledger, no Partner Center calls);
and the full sweep (the whole index again, checking the agenda). The last line is
`scan: accounts=N due_today=D floor_s=F scan_s=S ratio=R`, S being the timer's scan; the target at 50,000 accounts
and 1% is R <= 0.10. The acting is reported on the line before it, per changed customer.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

from azure.data.tables import TableServiceClient

from lib.app_context import AppContext, get_context, reset_context
from lib.azurite_process import start_azurite
from lib.domain.events import BillingEvent, InvoiceIssued
from lib.domain.summary import LedgerSummary, OpenInvoice
from lib.services.scan_agenda import POLICY_MARK, DispatchReport, policy_fingerprint
from lib.store.accounts import BUCKETS, bucket_of
from lib.store.agenda import day_key
from lib.store.entities import to_entity
from lib.store.queues import MessageQueue
from lib.store.summary_codec import summary_to_values
from lib.store.watermarks import Watermarks

BATCH = 100  # entity-group transaction limit
SPREAD_DAYS = 42


def seed_future(connection: str, prefix: str, count: int, today: date, zone_name: str) -> None:
    """Accounts owing an invoice due on one of the next weeks' dates, each filed on the agenda the day after."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(zone_name)
    service = TableServiceClient.from_connection_string(connection)
    accounts, agenda = service.get_table_client(f"{prefix}accounts"), service.get_table_client(f"{prefix}agenda")
    rows: dict[tuple[str, str], list[dict[str, object]]] = defaultdict(list)
    for n in range(count):
        customer = str(uuid.uuid4())
        due = today + timedelta(days=1 + n % SPREAD_DAYS)
        key = day_key(due + timedelta(days=1))
        summary = LedgerSummary(currency="CNY", balance=500_000, version=1, open_invoices=(
            OpenInvoice(datetime.combine(due, clock(23, 59, 59), tzinfo=zone), f"INV-{n}", 500_000),))
        rows[("accounts", bucket_of(customer))].append(to_entity(bucket_of(customer), customer, {
            **summary_to_values(summary), "stage": "current", "agenda_date": key}))
        rows[("agenda", key)].append(to_entity(key, customer, {"filed_at": datetime.now(UTC)}))
    batches = [(table, group[i:i + BATCH]) for (table, _), group in rows.items()
               for i in range(0, len(group), BATCH)]
    started = time.perf_counter()

    def write(item: tuple[str, list[dict[str, object]]]) -> None:
        client = accounts if item[0] == "accounts" else agenda
        client.submit_transaction([("upsert", row) for row in item[1]])

    with ThreadPoolExecutor(max_workers=8) as pool:
        for done, _ in enumerate(pool.map(write, batches), start=1):
            if done % 50 == 0 or done == len(batches):
                print(f"\r  seeding: {done * 100 // len(batches)}% of {len(batches)} batches", end="",
                      file=sys.stderr, flush=True)
    print(f"\n  seeded {count} accounts and their agenda rows in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)


def floor_read(connection: str, table_name: str) -> tuple[int, float]:
    table = TableServiceClient.from_connection_string(connection).get_table_client(table_name)

    def read(bucket: str) -> int:
        return sum(1 for _ in table.query_entities("PartitionKey eq @pk", parameters={"pk": bucket},
                                                   results_per_page=1000))

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(BUCKETS)) as pool:
        total = sum(pool.map(read, BUCKETS))
    return total, time.perf_counter() - started


def agenda_read(context: AppContext, today: date) -> tuple[int, float, float]:
    """What the agenda scan reads before it decides: today's agenda and the index rows it names.
    Returns (accounts, seconds for the agenda's range query, seconds in all)."""
    started = time.perf_counter()
    ids = {customer for _, customer in context.agenda.due(day_key(today))}
    queried = time.perf_counter() - started
    with ThreadPoolExecutor(max_workers=8) as pool:
        rows = [row for row in pool.map(context.accounts.get, ids) if row is not None]
    return len(rows), queried, time.perf_counter() - started


def drain(context: AppContext, queue: MessageQueue) -> tuple[int, int]:
    """Acts on every message the scan sent, as the queue function does: host.json's batchSize at a time. Returns
    (customers changed, messages)."""
    acting = context.due_customers()
    changed = handled = 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        while batch := queue.receive(max_messages=8, visibility_timeout=300):
            for message, report in zip(batch, pool.map(lambda m: acting.handle(m.body), batch), strict=True):
                changed += report.changed
                handled += 1
                queue.delete(message)
    return changed, handled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--due-today-percent", type=float, default=1.0)
    args = parser.parse_args(argv)
    if args.accounts < 1 or not 0 <= args.due_today_percent <= 100:
        parser.error("--accounts must be >= 1 and --due-today-percent between 0 and 100")
    # No Partner Center here: every notice is made unaddressed (the sender would address it), one warning each.
    logging.getLogger("csp_guard.notices").setLevel(logging.ERROR)
    azurite = start_azurite()
    try:
        os.environ.update({"AzureWebJobsStorage": azurite.connection_string, "CSPGUARD_TABLE_PREFIX": "bench",
                           "ENFORCEMENT_MODE": "shadow"})
        reset_context()
        context = get_context()
        context.tables.ensure_tables()
        policy = context.policy
        now = datetime.now(UTC)
        today = now.astimezone(policy.zone).date()
        due_today = round(args.accounts * args.due_today_percent / 100)
        seed_future(azurite.connection_string, context.settings.table_prefix, args.accounts - due_today, today,
                    policy.timezone)
        ingestion = context.ingestion()
        due = datetime.combine(today - timedelta(days=1), clock(23, 59, 59), tzinfo=policy.zone)

        def owe(n: int) -> None:  # overdue from today: the reminder stage starts today
            ingestion.ingest(BillingEvent("bench", f"due-{n}", "invoice.issued", now, str(uuid.uuid4()),
                                          InvoiceIssued(f"DUE-{n}", 500_000, "CNY", due - timedelta(days=30), due)))

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(owe, range(due_today)))
        # The seeded book was filed under this policy: steady state, not the agenda's first (whole-index) run.
        Watermarks(context.tables.table("runs")).set(*POLICY_MARK, policy_fingerprint(policy))

        total, floor_s = floor_read(azurite.connection_string, f"{context.settings.table_prefix}accounts")
        found, query_s, read_s = agenda_read(context, now.astimezone(policy.zone).date())
        queue = context.due_customers_queue
        started = time.perf_counter()
        report = context.delinquency_scan().dispatch(now, queue.send_json)
        scan_s = time.perf_counter() - started
        assert isinstance(report, DispatchReport) and report.status == "succeeded", report.counts()
        started = time.perf_counter()
        changed, messages = drain(context, queue)
        act_s = time.perf_counter() - started
        started = time.perf_counter()
        sweep = context.full_sweep().run(now)
        sweep_s = time.perf_counter() - started
        print(f"bench.scan: {total} accounts, {due_today} with something due today")
        print(f"floor: raw paged read of the index   {total:>7} rows in {floor_s:7.2f} s")
        print(f"agenda read (due rows + their index rows) {found:>4} in {read_s:7.2f} s  "
              f"({read_s / floor_s:.3f}x floor, of which the agenda's range query {query_s:.2f} s; "
              "changes nothing)")
        print(f"timer's scan (agenda -> queue)       {report.accounts:>7} due in {scan_s:7.2f} s  "
              f"({report.messages} messages on the due-customers queue, status {report.status})")
        print(f"acting (due-customers queue function) {changed:>6} changed in {act_s:7.2f} s  "
              f"({messages} messages; "
              f"{f'{act_s / changed * 1000:.1f} ms a changed customer' if changed else 'nothing changed'}, "
              f"{act_s / floor_s:.2f}x floor; the same work an operator's scan does within its request)")
        print(f"full sweep (weekly)                  {sweep.accounts:>7} rows in {sweep_s:7.2f} s  "
              f"({sweep_s / floor_s:.2f}x floor; missed {len(sweep.missed)}, late {len(sweep.late)})")
        print(f"scan: accounts={total} due_today={due_today} floor_s={floor_s:.3f} scan_s={scan_s:.3f} "
              f"ratio={scan_s / floor_s:.3f}")
        return 0
    finally:
        azurite.stop()


if __name__ == "__main__":
    sys.exit(main())
