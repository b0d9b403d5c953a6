"""The timer's scan fanned out on Azurite: the scan sends the customers the agenda names to the due-customers queue
and changes nothing itself; the queue function decides and acts on each as an operator's scan would, once, under
the sending run's cap."""

import json
import threading

import pytest

from lib.app_context import get_context, reset_context
from lib.devhost.host_config import QueueOptions, load_host_config
from lib.devhost.queue_poller import QueuePoller
from lib.devhost.registrations import QueueFunction
from lib.domain.events import parse_canonical
from lib.services.delinquency_scan import as_of_date
from lib.services.due_customers import DueCustomersFailed, DueMessage, due_messages
from tests.fixtures.sandbox import sandbox_calls
from tests.integration.notices.notice_world import HOST_JSON
from tests.support.billing_events import invoice_issued, new_customer, payment_succeeded
from tests.support.suspension_world import pc_status, seeded_customer

pytestmark = pytest.mark.integration
FINAL_NOTICE_DAY = "2026-12-15"  # its notice names the suspension date (12-30), more than 7 days ahead


def deliver(body, event_id):
    return get_context().ingestion().ingest(parse_canonical("standard", event_id, body))


def owing(customer=None, due="2026-11-30T23:59:59+08:00"):
    customer = customer or new_customer()
    deliver(invoice_issued(customer, "INV-1", 1_250_000, issued_at="2026-11-01T00:00:00+08:00", due_at=due),
            f"inv-{customer}")
    return customer


def at(day):
    context = get_context()
    as_of = as_of_date(day, context.policy)
    context.clock = lambda: as_of
    return as_of


def scan(day):
    return get_context().delinquency_scan().run(at(day))


def dispatch(day):
    """The timer's scan as of `day`: returns its report and the messages it sent."""
    sent: list[dict] = []
    report = get_context().delinquency_scan().dispatch(at(day), sent.append)
    return report, sent


def act(message) -> object:
    return get_context().due_customers().handle(json.dumps(message).encode())


def agenda_rows():
    table = get_context().tables.table("agenda")
    return sorted((r.partition_key, r.row_key) for r in table.query("PartitionKey ge ''"))


def actions(customer, kind):
    return [a for a in get_context().actions.for_customer(customer) if a.kind == kind]


def test_the_timer_scan_sends_whom_the_agenda_names_and_changes_nothing_itself(app_env):
    due_now, later = owing(), owing(due="2026-12-20T23:59:59+08:00")
    scan("2026-11-20")  # the agenda's first run reads the whole index; from now on it is trusted
    report, sent = dispatch("2026-12-01")
    assert (report.accounts, report.dispatched, report.messages, report.status) == (1, 1, 1, "succeeded")
    assert [list(m["customers"]) for m in sent] == [[due_now]]
    assert sent[0]["customers"][due_now] == ["20261201"] and sent[0]["run_id"] == report.run_id
    context = get_context()
    assert context.accounts.get(due_now).stage in (None, "current") and actions(due_now, "notify") == []
    assert ("20261201", due_now) in agenda_rows()  # it stays until the queue function has acted
    last = context.runs.last("delinquency_scan")
    assert last.counts["acting"] == "queued" and last.counts["dispatched"] == 1
    assert last.counts["agenda"]["through"] == "20261201"
    assert later not in json.dumps(sent)


def test_the_queue_function_acts_as_an_operators_scan_would_and_a_redelivery_does_nothing_twice(app_env):
    customer = owing()
    scan("2026-11-20")
    _, sent = dispatch("2026-12-01")
    report = act(sent[0])
    context = get_context()
    assert [c.customer_id for c in report.changes] == [customer] and report.notified == 1
    assert context.accounts.get(customer).stage == "reminder"
    assert len(actions(customer, "notify")) == 1 and [n.stage for n in context.notices.for_customer(customer)] == [
        "reminder"]
    assert agenda_rows() == [("20261215", customer)]  # filed under its next date, today's row gone
    assert context.runs.last("act_on_due_customers").status == "succeeded"
    again = act(sent[0])
    assert again.changed == 0 and len(actions(customer, "notify")) == 1 and len(context.notices.for_customer(
        customer)) == 1
    assert agenda_rows() == [("20261215", customer)]


def test_a_payment_between_the_scan_and_the_queue_function_is_seen(app_env):
    customer = owing()
    scan("2026-11-20")
    _, sent = dispatch("2026-12-01")
    deliver(payment_succeeded(customer, "PAY-1", 1_250_000), "pay-1")
    report = act(sent[0])
    assert report.changed == 0 and actions(customer, "notify") == []
    assert get_context().notices.for_customer(customer) == []


def test_the_sending_runs_cap_holds_across_its_messages(app_env, pc_sandbox, monkeypatch):
    monkeypatch.setenv("MAX_SUSPENSIONS_PER_RUN", "1")
    reset_context()
    raised: list[tuple[str, str, dict[str, object]]] = []
    get_context().ops_alert = lambda kind, summary, details: raised.append((kind, summary, details))
    customers = []
    for _ in range(3):
        customer, subs = seeded_customer(pc_sandbox, ("active",))
        customers.append((owing(customer), subs[0]))
    scan(FINAL_NOTICE_DAY)
    report, sent = dispatch("2026-12-31")
    assert report.dispatched == 3
    one_each = due_messages(report.run_id, as_of_date("2026-12-31", get_context().policy),
                            {cid: set(keys) for cid, keys in sent[0]["customers"].items()}, actor="delinquency_scan",
                            correlation_id=None, size=1)
    reports = [act(m.as_json()) for m in one_each]
    assert sum(pc_status(pc_sandbox, c, s) == "suspended" for c, s in customers) == 1
    assert sum(r.suspended for r in reports) == 1 and sum(r.withheld["cap"] for r in reports) == 2
    assert [kind for kind, _, _ in raised].count("cap_reached") == 1
    context = get_context()
    last = context.runs.last("delinquency_scan")
    assert last.status == "stopped" and "blast-radius cap reached" in last.stopped
    from lib.services.health_check import check_health

    assert check_health(context.settings).components["timers"] == "degraded"
    assert len(sandbox_calls(pc_sandbox, method="PATCH")) == 1


def test_a_customer_that_fails_leaves_the_message_for_the_host_to_deliver_again(app_env, monkeypatch):
    failing, fine = owing(), owing()
    scan("2026-11-20")
    _, sent = dispatch("2026-12-01")
    context = get_context()
    enforcer = type(context.enforcer())
    original = enforcer.apply

    def apply(self, row, *args, **kwargs):
        if row.customer_id == failing:
            raise RuntimeError("storage went away")
        return original(self, row, *args, **kwargs)

    monkeypatch.setattr(enforcer, "apply", apply)
    with pytest.raises(DueCustomersFailed, match="1 of 2 customers failed"):
        act(sent[0])
    assert context.accounts.get(fine).stage == "reminder"
    assert ("20261201", failing) in agenda_rows()  # still due: the redelivery, or the next scan, takes it
    monkeypatch.setattr(enforcer, "apply", original)
    report = act(sent[0])
    assert [c.customer_id for c in report.changes] == [failing]
    assert len(actions(fine, "notify")) == len(actions(failing, "notify")) == 1


def test_the_registered_queue_function_poisons_a_malformed_message_and_says_so(app_env):
    from functions.scans import act_on_due_customers

    context = get_context()
    raised: list[tuple[str, str, dict[str, object]]] = []
    context.ops_alert = lambda kind, summary, details: raised.append((kind, summary, details))
    queue = context.due_customers_queue
    queue.send_json({"run_id": "r", "as_of": "2026-12-01T04:00:00", "actor": "x", "customers": {"c": ["20261201"]}})
    options = load_host_config(HOST_JSON).queues
    fast = QueueOptions(batch_size=options.batch_size, max_dequeue_count=options.max_dequeue_count,
                        visibility_timeout_seconds=0, max_polling_interval_seconds=0)
    function = QueueFunction("act_on_due_customers", queue.name, "AzureWebJobsStorage", "msg", act_on_due_customers)
    QueuePoller(function, queue, fast, threading.Event()).poll_once()
    assert queue.approximate_count() == 0 and queue.approximate_count(poison=True) == 1
    assert [kind for kind, _, _ in raised] == ["poison_message"] and "UTC offset" in raised[0][1]
    from lib.services.health_check import check_health

    assert check_health(context.settings).components["due_customers_queue"] == "degraded"


def test_the_registered_timer_puts_the_due_customers_on_the_queue(app_env, monkeypatch):
    from functions.scans import delinquency_scan

    customer = owing()
    scan("2026-11-20")
    context = get_context()
    monkeypatch.setattr("functions.scans.datetime", _FrozenNow(as_of_date("2026-12-01", context.policy)))

    class Timer:
        past_due = False

    delinquency_scan(Timer())
    [body] = list(context.due_customers_queue.peek())
    message = DueMessage.parse(body)
    assert list(message.customers) == [customer] and message.actor == "delinquency_scan"


class _FrozenNow:
    def __init__(self, moment):
        self._moment = moment

    def now(self, tz=None):
        return self._moment


def test_a_decision_that_failed_after_its_notice_does_not_notify_again_when_delivered_again(app_env, monkeypatch):
    customer = owing()
    scan("2026-11-20")
    _, sent = dispatch("2026-12-01")
    accounts = type(get_context().accounts)
    original = accounts.set_stage
    failed = []

    def set_stage(self, customer_id, *args, **kwargs):
        if not failed:  # storage fails once, after the notice and the audit row were written
            failed.append(customer_id)
            raise RuntimeError("storage went away")
        return original(self, customer_id, *args, **kwargs)

    monkeypatch.setattr(accounts, "set_stage", set_stage)
    with pytest.raises(DueCustomersFailed):
        act(sent[0])
    report = act(sent[0])  # the host's redelivery
    context = get_context()
    assert failed == [customer] and [c.customer_id for c in report.changes] == [customer]
    assert context.accounts.get(customer).stage == "reminder"
    assert [n.notice_id for n in context.notices.for_customer(customer)] == ["n-0001-reminder"]


def test_the_timers_first_run_files_every_account_then_sends_what_is_due_and_acts_on_nothing(app_env):
    due_now, later = owing(), owing(due="2026-12-20T23:59:59+08:00")
    context = get_context()
    for customer in (due_now, later):  # a book from before the agenda: nobody filed anywhere
        for key, filed_customer in agenda_rows():
            if filed_customer == customer:
                context.agenda.remove(key, customer)
        context.accounts.set_agenda_date(customer, "")
    report, sent = dispatch("2026-12-01")
    assert report.refiled_all == 2 and report.dispatched == 1 and list(sent[0]["customers"]) == [due_now]
    assert context.accounts.get(due_now).stage in (None, "current") and actions(due_now, "notify") == []
    assert context.accounts.get(later).agenda_date == "20261221"
    again, _ = dispatch("2026-12-02")  # the policy's mark is set: the agenda is trusted from now on
    assert again.refiled_all == 0 and again.dispatched == 1  # the first message not yet acted on: sent again
    act(sent[0])
    assert context.accounts.get(due_now).stage == "reminder"


@pytest.mark.parametrize(("env", "expected"), [
    ({"ENFORCEMENT_MODE": "review"}, "proposed"),
    ({"ENFORCEMENT_MODE": "shadow"}, "shadow"),
    ({"ENFORCEMENT_MODE": "enforce", "ENFORCEMENT_PAUSED": "true"}, "withheld"),
])
def test_the_queue_function_suspends_only_through_the_write_gate(app_env, pc_sandbox, monkeypatch, env, expected):
    for name, value in {"ENFORCEMENT_PAUSED": "false", **env}.items():
        monkeypatch.setenv(name, value)
    reset_context()
    customer, sub = seeded_customer(pc_sandbox, ("active",))
    owing(customer)
    scan(FINAL_NOTICE_DAY)  # the notice naming the day of suspension
    _, sent = dispatch("2026-12-31")
    report = act(sent[0])
    assert [c.customer_id for c in report.changes if c.suspend] == [customer]
    assert [a.status for a in actions(customer, "suspend")] == [expected]
    assert sandbox_calls(pc_sandbox, method="PATCH") == [] and pc_status(pc_sandbox, customer, sub[0]) == "active"
    if expected == "proposed":
        [proposal] = get_context().proposal_desk().listed("open")
        assert proposal.customer_id == customer and proposal.created_by == "delinquency_scan"
