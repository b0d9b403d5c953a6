"""Signed webhooks through the development host into Azurite, against the same run's raw-storage floor.

    python -m bench.webhooks [--events 2000] [--customers 200] [--senders 8] [--channel-events 300]

WeChat Pay and Alipay payment notifications (RSA verification, AES-GCM decryption for WeChat Pay, the same ledger
path) are measured beside the standard provider, on the same host, over the same customers.

The floor is what storage alone allows: one raw azure-data-tables upsert per event with the same concurrency.
csp-guard's budget per event is one ledger transaction plus one index write, behind HTTP and signature checks.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import requests
from azure.data.tables import TableServiceClient
from standardwebhooks import Webhook

from bench.channel_deliveries import alipay_deliveries, channel_env, wechat_deliveries
from bench.common import CpuMeter, Figures, timed_concurrently
from lib.azurite_process import free_port, start_azurite, wait_for_port
from lib.store.tables import transport_options

SECRET = "whsec_" + "YmVuY2htYXJrLXNlY3JldC1mb3ItY3NwLWd1YXJk"


def customer_ids(customers: int) -> list[str]:
    rng = random.Random(7)  # the customers deliveries() bills
    return [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(customers)]


def deliveries(events: int, customers: int) -> list[tuple[bytes, dict[str, str]]]:
    rng = random.Random(7)
    ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(customers)]  # the same as customer_ids()
    signer = Webhook(SECRET)
    out = []
    for n in range(events):
        customer = ids[n % customers]
        if n < customers or rng.random() < 0.5:
            body = {"type": "invoice.issued", "timestamp": "2026-11-01T02:00:00Z",
                    "data": {"customer_id": customer, "invoice_id": f"INV-{n}", "amount": rng.randint(1000, 10**7),
                             "currency": "CNY", "issued_at": "2026-11-01T00:00:00+08:00",
                             "due_at": "2026-11-30T23:59:59+08:00"}}
        else:
            body = {"type": "payment.succeeded", "timestamp": "2026-11-10T02:00:00Z",
                    "data": {"customer_id": customer, "payment_id": f"PAY-{n}", "amount": rng.randint(100, 10**6),
                             "currency": "CNY", "paid_at": "2026-11-10T10:00:00+08:00"}}
        raw = json.dumps(body).encode()
        msg_id = f"msg_{n}"
        now = datetime.now(UTC)
        out.append((raw, {"webhook-id": msg_id, "webhook-timestamp": str(int(now.timestamp())),
                          "webhook-signature": signer.sign(msg_id, now, raw.decode()),
                          "content-type": "application/json"}))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--channel-events", type=int, default=300, help="per payment channel")
    args = parser.parse_args(argv)

    azurite = start_azurite()
    host = None
    try:
        port = free_port()
        env = {**os.environ, "AzureWebJobsStorage": azurite.connection_string, "CSPGUARD_TABLE_PREFIX": "bench",
               "WEBHOOK_SECRET_STANDARD": SECRET, "CSPGUARD_FUNCTION_KEY": "bench", **channel_env()}
        cli = Path(sys.executable).with_name("csp-guard")
        host = subprocess.Popen([str(cli), "serve", "--port", str(port), "--no-timers", "--no-queues"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_for_port("127.0.0.1", port, 30):
            print("the development host did not start", file=sys.stderr)
            return 1
        url = f"http://127.0.0.1:{port}/api/webhooks/standard"
        work = deliveries(args.events, args.customers)
        sessions = threading.local()

        def send(delivery: tuple[bytes, dict[str, str]]) -> None:
            session = getattr(sessions, "s", None) or requests.Session()
            sessions.s = session
            response = session.post(url, data=delivery[0], headers=delivery[1], timeout=60)
            if response.status_code != 200 or response.json()["status"] != "recorded":
                raise RuntimeError(f"unexpected answer {response.status_code}: {response.text[:200]}")

        send(work[0])  # warm up the host (imports, table creation) outside the timing
        webhooks_cpu = CpuMeter({"host": host.pid, "Azurite": azurite.process.pid, "senders": None})
        webhooks_cpu.start()
        webhooks = timed_concurrently("webhooks (HTTP + verify + ledger)", work[1:], send, args.senders)
        webhooks_cpu.stop()
        channels = [measure_channel(f"http://127.0.0.1:{port}/api/webhooks", name, build(args.channel_events,
                                    customer_ids(args.customers)), args.senders)
                    for name, build in (("wechatpay", wechat_deliveries), ("alipay", alipay_deliveries))
                    if args.channel_events > 0]  # --channel-events 0: the standard provider alone

        # The floor's client gets csp-guard's transport settings too, so the comparison is of work, not of setup.
        service = TableServiceClient.from_connection_string(azurite.connection_string, **transport_options())
        floor_table = service.create_table_if_not_exists("benchfloor")
        rng = random.Random(3)

        def upsert(n: int) -> None:
            floor_table.upsert_entity({"PartitionKey": f"c{n % args.customers}", "RowKey": f"e{n}",
                                       "amount": rng.randint(1, 10**6), "payload": "x" * 200})

        floor_cpu = CpuMeter({"Azurite": azurite.process.pid, "client": None})
        floor_cpu.start()
        floor = timed_concurrently("floor (raw upsert per event)", range(len(work) - 1), upsert, args.senders)
        floor_cpu.stop()
        budget_table = service.create_table_if_not_exists("benchbudget")
        index_table = service.create_table_if_not_exists("benchindex")

        def budget(n: int) -> None:
            partition = f"c{n % args.customers}"
            budget_table.submit_transaction([
                ("create", {"PartitionKey": partition, "RowKey": f"evt:{n}", "status": "recorded"}),
                ("upsert", {"PartitionKey": partition, "RowKey": f"pay:{n}", "amount": n, "payload": "x" * 200}),
                ("upsert", {"PartitionKey": partition, "RowKey": "summary", "balance": n, "version": n}),
            ])
            index_table.upsert_entity({"PartitionKey": "b00", "RowKey": partition, "balance": n})

        budget_cpu = CpuMeter({"Azurite": azurite.process.pid, "client": None})
        budget_cpu.start()
        raw_budget = timed_concurrently("raw SDK: 3-op transaction + upsert", range(len(work) - 1), budget,
                                        args.senders)
        budget_cpu.stop()
        report(webhooks, floor, raw_budget, args)
        for figures in channels:
            print(f"{figures.line()}  ({figures.per_second / webhooks.per_second:.2f}x the standard provider)")
        print(f"CPU ms per event: webhooks {webhooks_cpu.per_unit(webhooks.count)}; "
              f"floor {floor_cpu.per_unit(floor.count)}; raw SDK budget {budget_cpu.per_unit(raw_budget.count)}")
        explain_ceilings(webhooks, floor, webhooks_cpu)
        return 0
    finally:
        if host is not None:
            host.terminate()
            host.wait(timeout=10)
        azurite.stop()


def measure_channel(base_url: str, name: str, work: list[tuple[bytes, dict[str, str]]], senders: int) -> Figures:
    """A payment channel's notifications: handled means WeChat Pay's 204 or Alipay's `success`."""
    sessions = threading.local()

    def send(delivery: tuple[bytes, dict[str, str]]) -> None:
        session = getattr(sessions, "s", None) or requests.Session()
        sessions.s = session
        response = session.post(f"{base_url}/{name}", data=delivery[0], headers=delivery[1], timeout=60)
        if response.status_code not in (200, 204) or (name == "alipay" and response.text != "success"):
            raise RuntimeError(f"{name}: unexpected answer {response.status_code}: {response.text[:200]}")

    send(work[0])  # the channel's key parsing and first decryption outside the timing
    return timed_concurrently(f"{name} (HTTP + verify + ledger)", work[1:], send, senders)


def report(webhooks: Figures, floor: Figures, raw_budget: Figures, args: argparse.Namespace) -> None:
    print(f"bench.webhooks: {args.events} events over {args.customers} customers, {args.senders} concurrent senders")
    print(webhooks.line())
    print(floor.line())
    print(raw_budget.line())
    print(f"ratio to floor: {webhooks.per_second / floor.per_second:.2f}x  (target >= 0.5x)")
    print(f"ratio to the raw SDK cost of the same storage work: {webhooks.per_second / raw_budget.per_second:.2f}x")


def explain_ceilings(webhooks: Figures, floor: Figures, cpu: CpuMeter) -> None:
    """What this machine allows at all: Azurite serves on one thread, and host, Azurite and senders share the cores."""
    emulator_ms = cpu.ms_per_unit("Azurite", webhooks.count)
    host_ms = cpu.ms_per_unit("host", webhooks.count)
    senders_ms = cpu.ms_per_unit("senders", webhooks.count)
    if emulator_ms is None or host_ms is None or senders_ms is None:
        return  # no /proc: CPU figures are not available here
    emulator_ceiling = 1000 / emulator_ms
    cores = os.cpu_count() or 1
    per_event_ms = emulator_ms + host_ms + senders_ms
    machine_ceiling = cores * 1000 / per_event_ms
    print(f"ceiling from Azurite's one thread ({emulator_ms:.2f} ms per event): {emulator_ceiling:.0f}/s = "
          f"{emulator_ceiling / floor.per_second:.2f}x the floor")
    print(f"ceiling from {cores} cores shared by host, Azurite and senders ({per_event_ms:.2f} ms per event)"
          f": {machine_ceiling:.0f}/s = {machine_ceiling / floor.per_second:.2f}x the floor; "
          f"csp-guard runs at {webhooks.per_second / machine_ceiling:.0%} of it")


if __name__ == "__main__":
    sys.exit(main())
