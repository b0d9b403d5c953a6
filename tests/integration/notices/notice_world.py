"""Helpers for notice scenarios: customers with billing profiles in the sandbox, their invoices in the ledger, scans
as of a day, and the notices queue drained through the registered queue function with host.json's rules."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

from functions.notices import send_notice
from lib.app_context import get_context
from lib.devhost.host_config import QueueOptions, load_host_config
from lib.devhost.queue_poller import QueuePoller
from lib.devhost.registrations import QueueFunction
from lib.domain.events import parse_canonical
from lib.services.delinquency_scan import as_of_date
from tests.fixtures.sandbox import seed
from tests.support.billing_events import invoice_issued

HOST_JSON = Path(__file__).parents[3] / "host.json"
ZH_PROFILE = {"email": "caiwu@yunfan.example.cn", "culture": "zh-CN", "language": "zh-Hans", "firstName": "伟",
              "lastName": "王"}
EN_PROFILE = {"email": "ap@contoso.example.cn", "culture": "en-US", "language": "en", "firstName": "Grace",
              "lastName": "Chen"}


def customer_with_invoice(sandbox, profile, *, company="上海云帆科技有限公司", amount=1_250_000,
                          due="2026-11-30T23:59:59+08:00", invoice="INV-2026-11-0042") -> str:
    customer = str(uuid.uuid4())
    seed(sandbox, [{"id": customer, "companyName": company, "billingProfile": profile,
                    "subscriptions": [{"id": str(uuid.uuid4()), "offerName": "Azure plan", "status": "active"}]}])
    deliver_invoice(customer, invoice, amount, due)
    return customer


def deliver_invoice(customer: str, invoice: str, amount: int, due: str) -> None:
    body = invoice_issued(customer, invoice, amount, issued_at="2026-11-01T00:00:00+08:00", due_at=due)
    get_context().ingestion().ingest(parse_canonical("standard", f"inv-{customer}-{invoice}", body))


def scan(day: str):
    context = get_context()
    as_of = as_of_date(day, context.policy)
    context.clock = lambda: as_of
    return context.delinquency_scan().run(as_of)


def poller() -> QueuePoller:
    """The notices queue function as the host runs it (retries, poison), without the host's wait between tries."""
    context = get_context()
    options = load_host_config(HOST_JSON).queues
    fast = QueueOptions(batch_size=options.batch_size, max_dequeue_count=options.max_dequeue_count,
                        visibility_timeout_seconds=0, max_polling_interval_seconds=0)
    function = QueueFunction("send_notice", context.settings.notices.queue, "AzureWebJobsStorage", "msg", send_notice)
    return QueuePoller(function, context.notices_queue, fast, threading.Event())


def drain(rounds: int = 6) -> None:
    p = poller()
    for _ in range(rounds):
        if p.poll_once() == 0:
            return


def notices_of(customer: str):
    return get_context().notices.for_customer(customer)
