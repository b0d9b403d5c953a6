"""Review mode over HTTP on the development host (ENFORCEMENT_MODE=review): the scan proposes, operators list,
approve (the sandbox receives the PATCH), reject with a note; a hold lapses a proposal; a stale one answers 409."""

import json
from datetime import UTC, datetime

import pytest
import requests

from lib.domain.hold_request import parse_hold
from lib.domain.policy_file import load_policy
from lib.settings import APP_ROOT
from lib.store.accounts import Accounts
from tests.fixtures.azurite import start_devhost
from tests.fixtures.sandbox import sandbox_calls
from tests.support.billing_events import invoice_issued, standard_delivery
from tests.support.notice_period import local_day, notice_days
from tests.support.suspension_world import pc_status, seeded_customer

pytestmark = pytest.mark.e2e


@pytest.fixture
def host(app_env):
    running = start_devhost({**app_env, "ENFORCEMENT_MODE": "review"}, "--no-timers", "--no-queues")
    yield running
    running.stop()


def call(host, method, path, body=None, **headers):
    return requests.request(method, f"{host.url}/api/{path}", timeout=60,
                            headers={"x-functions-key": host.function_key, **headers},
                            data=None if body is None else json.dumps(body))


def debtors(host, pc_sandbox, count):
    """Customers 45 days past due, given notice a week ago, then scanned today: each has one open proposal."""
    made = []
    for n in range(count):
        customer, subs = seeded_customer(pc_sandbox, ("active",))
        raw, signed = standard_delivery(invoice_issued(customer, f"INV-R-{n}", 800_000,
                                                       issued_at=f"{local_day(-75)}T00:00:00+08:00",
                                                       due_at=f"{local_day(-45)}T23:59:59+08:00"))
        assert requests.post(f"{host.url}/api/webhooks/standard", data=raw, headers=signed, timeout=30).ok
        made.append((customer, subs[0]))
    assert call(host, "POST", f"scan?as_of={local_day(-notice_days())}").ok
    assert call(host, "POST", "scan").json()["proposed"] == count
    return made


def open_proposal(host, customer):
    [found] = [p for p in call(host, "GET", "proposals").json()["proposals"] if p["customer_id"] == customer]
    return found


def test_operators_decide_review_mode_proposals_over_http(host, pc_sandbox, tables):
    (approved, approved_sub), (rejected, _), (held, _), (stale, stale_sub) = debtors(host, pc_sandbox, 4)
    listed = call(host, "GET", "proposals?status=open").json()["proposals"]
    assert sorted(p["customer_id"] for p in listed) == sorted([approved, rejected, held, stale])
    first = open_proposal(host, approved)
    assert (first["reason"], first["write"], first["status"]) == ("non_payment", "subscription_status", "open")
    assert first["created_by"] == "operator:key:function-key"  # the scan this test ran over HTTP
    assert first["facts"]["stage"] == "suspension" and first["facts"]["days_past_due"] == 45
    assert [c for c in sandbox_calls(pc_sandbox) if c["method"] == "PATCH"] == []

    answer = call(host, "POST", f"proposals/{approved}/{first['proposal_id']}/approve", {"note": "agreed"},
                  **{"x-cspguard-actor": "alice"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "approved" and answer.json()["action"]["actor"] == "key:alice"
    assert pc_status(pc_sandbox, approved, approved_sub) == "suspended"
    assert [c["path"] for c in sandbox_calls(pc_sandbox) if c["method"] == "PATCH"] == [
        f"/v1/customers/{approved}/subscriptions/{approved_sub}"]
    again = call(host, "POST", f"proposals/{approved}/{first['proposal_id']}/approve")
    assert again.status_code == 409 and again.json()["type"].endswith("proposal-closed")

    second = open_proposal(host, rejected)
    no_note = call(host, "POST", f"proposals/{rejected}/{second['proposal_id']}/reject", {})
    assert no_note.status_code == 400 and no_note.json()["field"] == "note"
    answer = call(host, "POST", f"proposals/{rejected}/{second['proposal_id']}/reject", {"note": "paying Friday"})
    assert answer.status_code == 200 and answer.json()["decision_note"] == "paying Friday"

    third = open_proposal(host, held)
    assert call(host, "PUT", f"customers/{held}/hold", {"kind": "promise_to_pay", "until": local_day(10)}).ok
    lapsed = [p for p in call(host, "GET", "proposals?status=lapsed").json()["proposals"]
              if p["proposal_id"] == third["proposal_id"]]
    assert len(lapsed) == 1 and "hold" in lapsed[0]["decision_note"]

    fourth = open_proposal(host, stale)
    # An exemption recorded behind the routes' back (no lapse hook ran): approval re-checks and refuses.
    policy = load_policy(APP_ROOT / "policy" / "collections.toml")
    Accounts(tables.table("accounts")).set_hold(
        stale, parse_hold({"kind": "exemption", "until": local_day(30)}, policy, datetime.now(UTC)), actor="x")
    refused = call(host, "POST", f"proposals/{stale}/{fourth['proposal_id']}/approve")
    assert refused.status_code == 409 and refused.json()["type"].endswith("stale-proposal")
    assert pc_status(pc_sandbox, stale, stale_sub) == "active"
    everything = {p["proposal_id"]: p["status"] for p in call(host, "GET", "proposals?status=all").json()["proposals"]}
    assert everything == {first["proposal_id"]: "approved", second["proposal_id"]: "rejected",
                          third["proposal_id"]: "lapsed", fourth["proposal_id"]: "lapsed"}
    bad = call(host, "GET", "proposals?status=maybe")
    assert bad.status_code == 400 and bad.json()["field"] == "status"
