"""The daily scan's timer on the development host: `csp-guard run-timer delinquency_scan --no-queues` sends the
customer due to the due-customers queue, and the host's `act_on_due_customers` queue function acts on it (the stage
moves, the notice is recorded, the agenda moves on), as it would in Azure. Without a host, `run-timer` runs the queue
functions itself."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from lib.app_context import get_context
from lib.services.scan_agenda import POLICY_MARK, policy_fingerprint
from lib.store.watermarks import Watermarks
from tests.fixtures.azurite import start_devhost
from tests.support.billing_events import invoice_issued, standard_delivery
from tests.support.suspension_world import seeded_customer

pytestmark = pytest.mark.e2e


def test_the_timer_hands_the_customers_due_to_the_queue_function_which_acts(app_env, pc_sandbox):
    debtor, _ = seeded_customer(pc_sandbox, ("active",))
    context = get_context()
    # A book the agenda has already swept once: the timer trusts the agenda from now on.
    Watermarks(context.tables.table("runs")).set(*POLICY_MARK, policy_fingerprint(context.policy))
    host = start_devhost(dict(app_env), "--no-timers")  # the queue function on, as in Azure
    try:
        headers = {"x-functions-key": host.function_key}
        # Overdue by a few days today, whatever today is: the reminder stage.
        raw, signed = standard_delivery(invoice_issued(debtor, "INV-1", 1_250_000, issued_at=_days_ago(30),
                                                       due_at=_days_ago(3)))
        assert requests.post(f"{host.url}/api/webhooks/standard", data=raw, headers=signed, timeout=30).ok
        cli = Path(sys.executable).with_name("csp-guard")
        done = subprocess.run([str(cli), "run-timer", "delinquency_scan", "--no-queues"],  # the host acts
                              env={**_environ(), **app_env}, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        scan = context.runs.last("delinquency_scan")
        assert scan.counts["acting"] == "queued" and scan.counts["dispatched"] == 1
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            customer = requests.get(f"{host.url}/api/customers/{debtor}", headers=headers, timeout=10).json()
            if customer.get("stage") == "reminder":
                break
            time.sleep(0.5)
        assert customer.get("stage") == "reminder", customer
        notices = requests.get(f"{host.url}/api/customers/{debtor}/notices", headers=headers, timeout=10).json()
        assert [n["stage"] for n in notices["items"]] == ["reminder"]
        acted = context.runs.last("act_on_due_customers")
        assert acted.status == "succeeded" and acted.counts["changed"] == 1
        assert context.accounts.get(debtor).agenda_date > scan.counts["agenda"]["through"]
    finally:
        host.stop()


def _days_ago(days: int) -> str:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    day = datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=days)
    return f"{day.isoformat()}T23:59:59+08:00"


def _environ() -> dict[str, str]:
    import os

    return dict(os.environ)


def test_without_a_host_run_timer_finishes_the_timers_work_itself(app_env, pc_sandbox):
    debtor, _ = seeded_customer(pc_sandbox, ("active",))
    context = get_context()
    Watermarks(context.tables.table("runs")).set(*POLICY_MARK, policy_fingerprint(context.policy))
    from lib.domain.events import parse_canonical

    context.ingestion().ingest(parse_canonical("standard", "inv-1", invoice_issued(
        debtor, "INV-1", 1_250_000, issued_at=_days_ago(30), due_at=_days_ago(3))))
    cli = Path(sys.executable).with_name("csp-guard")
    done = subprocess.run([str(cli), "run-timer", "delinquency_scan"], env={**_environ(), **app_env},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "handled 1 message" in done.stdout
    assert context.accounts.get(debtor).stage == "reminder"
    assert context.due_customers_queue.approximate_count() == 0
