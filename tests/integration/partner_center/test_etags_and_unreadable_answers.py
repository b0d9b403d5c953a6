"""The documented PATCH carries `If-Match: <etag>`; the sandbox answers 412 when the subscription changed since it
was read, and suspension then reads it again and decides again. An answer csp-guard cannot read is a named
Partner Center error that the outbox records, never a crash between the call and the record."""

import pytest
import requests

from lib.partner_center.errors import PreconditionFailedError, UnreadableAnswerError
from lib.services.write_gate import Asker
from tests.fixtures.sandbox import fault, sandbox_calls
from tests.support.suspension_world import pc_status, seeded_customer, world

pytestmark = pytest.mark.integration
AUTH = {"Authorization": "Bearer sandbox-token"}


def suspend_by_hand(sandbox, customer, sub):
    """Someone in Partner Center's own portal: no etag of ours."""
    url = f"{sandbox.url}/v1/customers/{customer}/subscriptions/{sub}"
    requests.patch(url, json={"Status": "suspended"}, headers={**AUTH, "If-Match": "*"}, timeout=10).raise_for_status()


class ReadThenSomeoneActs:
    """The real client, with somebody acting in Partner Center right after csp-guard's read."""

    def __init__(self, client, act):
        self._client, self._act = client, act

    def __getattr__(self, name):
        return getattr(self._client, name)

    def list_subscriptions(self, customer_id, **kwargs):
        read = list(self._client.list_subscriptions(customer_id, **kwargs))
        self._act()
        return read


def test_the_patch_carries_the_etag_read_and_a_stale_one_is_412(pc_sandbox, pc_client):
    customer, [sub] = seeded_customer(pc_sandbox, ("active",))
    read = pc_client.get_subscription(customer, sub)
    assert read.etag == pc_sandbox.state.subscriptions[customer][sub]["attributes"]["etag"]
    suspend_by_hand(pc_sandbox, customer, sub)
    with pytest.raises(PreconditionFailedError):
        pc_client.set_subscription_status(customer, read, "suspended")
    calls = sandbox_calls(pc_sandbox, method="PATCH")
    assert calls[-1]["headers"]["If-Match"] == read.etag
    fresh = pc_client.get_subscription(customer, sub)
    answer = pc_client.set_subscription_status(customer, fresh, "active")
    assert answer.value.status == "active" and answer.value.etag != fresh.etag  # read from the PascalCase answer


def test_a_subscription_suspended_by_hand_after_our_read_is_not_ours_and_never_restored(tables, pc_sandbox, pc_client):
    customer, [sub] = seeded_customer(pc_sandbox, ("active",))
    w = world(tables, ReadThenSomeoneActs(pc_client, lambda: suspend_by_hand(pc_sandbox, customer, sub)))
    action = w.service.suspend(customer, reason="non_payment", actor="scan", asker=Asker.AUTOMATIC)
    [target] = action.targets
    assert target["outcome"] == "already_suspended" and action.status == "confirmed"
    state = w.subscriptions.get(customer, sub)
    assert state.reasons == {"non_payment"} and not state.suspended_by_us
    assert [(c["method"], c["path"].rsplit("/", 1)[1]) for c in sandbox_calls(pc_sandbox)
            if c["method"] in ("PATCH", "GET") and sub in c["path"]][-2:] == [("PATCH", sub), ("GET", sub)]
    restored = w.service.restore(customer, reason="non_payment", actor="payment")
    assert restored.targets[0]["outcome"] == "not_ours" and pc_status(pc_sandbox, customer, sub) == "suspended"


def test_a_subscription_changed_but_still_active_is_read_again_and_suspended(tables, pc_sandbox, pc_client):
    customer, [sub] = seeded_customer(pc_sandbox, ("active",))

    def touch():  # a change that leaves it active (a new etag), as a quantity change would
        pc_sandbox.state.subscriptions[customer][sub]["attributes"]["etag"] = "changed-elsewhere"

    w = world(tables, ReadThenSomeoneActs(pc_client, touch))
    action = w.service.suspend(customer, reason="fraud", actor="fraud_events_poll", asker=Asker.AUTOMATIC)
    assert action.targets[0]["outcome"] == "confirmed" and pc_status(pc_sandbox, customer, sub) == "suspended"
    patches = sandbox_calls(pc_sandbox, method="PATCH")
    assert len(patches) == 2 and patches[0]["headers"]["If-Match"] != "changed-elsewhere"  # the stale one: 412
    assert patches[1]["headers"]["If-Match"] == "changed-elsewhere"  # after reading it again
    assert w.subscriptions.get(customer, sub).suspended_by_us


@pytest.mark.parametrize("answer", [["a", "list"], {"Status": "suspended"}, {"id": "x", "quantity": "many"}])
def test_an_unreadable_patch_answer_is_recorded_as_a_named_failure(tables, pc_sandbox, pc_client, answer):
    customer, _ = seeded_customer(pc_sandbox, ("active",))
    fault(pc_sandbox, path="/subscriptions/", method="PATCH", status=200, body=answer)
    w = world(tables, pc_client)
    action = w.service.suspend(customer, reason="non_payment", actor="scan", asker=Asker.AUTOMATIC)
    [target] = action.targets
    assert action.status == "failed" and target["outcome"] == "failed"
    assert target["error"] == "unreadable answer (http 200)" and target["request_id"]
    assert w.actions.get(customer, action.action_id).status == "failed"  # on the record, for reconcile


def test_a_body_that_is_not_an_object_is_an_unreadable_answer_with_the_call_ids(pc_sandbox, pc_client):
    customer, [sub] = seeded_customer(pc_sandbox, ("active",))
    fault(pc_sandbox, path="/subscriptions/", method="GET", status=200, body="<html>gateway</html>")
    with pytest.raises(UnreadableAnswerError) as raised:
        pc_client.get_subscription(customer, sub)
    assert raised.value.request_id and raised.value.status == 200
