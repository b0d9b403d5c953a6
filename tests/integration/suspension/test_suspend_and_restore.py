"""Suspend and restore against the Partner Center sandbox and Azurite: what is PATCHed, what is recorded."""

import copy
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.services.suspension import CustomerNotInPartnerCenter, UnknownReason, UnknownSubscriptions
from lib.services.write_gate import Asker
from tests.fixtures.sandbox import fault, sandbox_calls
from tests.support.suspension_world import pc_status, seeded_customer, world

pytestmark = pytest.mark.integration


def patches(sandbox):
    return sandbox_calls(sandbox, method="PATCH")


def test_suspend_patches_each_active_subscription_with_its_full_resource(tables, pc_sandbox, pc_client):
    customer, subs = seeded_customer(pc_sandbox)
    before = {s: copy.deepcopy(pc_sandbox.state.subscriptions[customer][s]) for s in subs}
    w = world(tables, pc_client)
    action = w.service.suspend(customer, asker=Asker.OPERATOR, reason="non_payment", actor="ops:alice",
                               note="42 days overdue")
    assert action.status == "confirmed"
    assert [t["outcome"] for t in action.targets] == ["confirmed"] * 3
    calls = patches(pc_sandbox)
    assert len(calls) == 3
    for call in calls:
        sub = call["path"].rsplit("/", 1)[1]
        expected = {**before[sub], "status": "suspended"}
        assert call["body"] == expected
        assert call["headers"]["MS-RequestId"] and call["headers"]["MS-CorrelationId"]
        assert call["headers"]["Authorization"] == "Bearer sandbox-token"
    assert all(pc_status(pc_sandbox, customer, s) == "suspended" for s in subs)
    state = w.subscriptions.for_customer(customer)
    assert all(s.reasons == {"non_payment"} and s.suspended_by_us and s.status_before == "active"
               for s in state.values())
    assert {t["request_id"] for t in action.targets} == {c["headers"]["MS-RequestId"] for c in calls}


def test_suspending_twice_patches_once(tables, pc_sandbox, pc_client):
    customer, _ = seeded_customer(pc_sandbox)
    w = world(tables, pc_client)
    w.service.suspend(customer, asker=Asker.AUTOMATIC, reason="non_payment", actor="scan")
    pc_sandbox_calls_before = len(sandbox_calls(pc_sandbox))
    again = w.service.suspend(customer, asker=Asker.AUTOMATIC, reason="non_payment", actor="scan")
    assert again.status == "noop"
    assert len(sandbox_calls(pc_sandbox)) == pc_sandbox_calls_before  # no call at all for a no-op


def test_restore_reactivates_only_when_no_reason_remains(tables, pc_sandbox, pc_client):
    customer, subs = seeded_customer(pc_sandbox, ("active",))
    w = world(tables, pc_client)
    w.service.suspend(customer, asker=Asker.AUTOMATIC, reason="non_payment", actor="scan")
    w.service.suspend(customer, asker=Asker.AUTOMATIC, reason="fraud", actor="fraud_events_poll")
    restored = w.service.restore(customer, reason="non_payment", actor="payment")
    assert restored.targets[0]["outcome"] == "still_suspended"
    assert pc_status(pc_sandbox, customer, subs[0]) == "suspended"
    cleared = w.service.restore(customer, reason="fraud", actor="ops:bob")
    assert cleared.targets[0]["outcome"] == "confirmed"
    assert pc_status(pc_sandbox, customer, subs[0]) == "active"
    assert patches(pc_sandbox)[-1]["body"]["status"] == "active"


def test_a_subscription_suspended_by_hand_is_never_restored_by_csp_guard(tables, pc_sandbox, pc_client):
    customer, subs = seeded_customer(pc_sandbox, ("suspended", "active"))
    w = world(tables, pc_client)
    action = w.service.suspend(customer, asker=Asker.AUTOMATIC, reason="non_payment", actor="scan")
    assert sorted(t["outcome"] for t in action.targets) == ["already_suspended", "confirmed"]
    w.service.restore(customer, reason="non_payment", actor="payment")
    assert pc_status(pc_sandbox, customer, subs[0]) == "suspended"  # the hand-made suspension stays
    assert pc_status(pc_sandbox, customer, subs[1]) == "active"
    assert [c["path"].rsplit("/", 1)[1] for c in patches(pc_sandbox)] == [subs[1], subs[1]]


def test_a_subscription_reactivated_by_hand_meanwhile_is_recorded_and_left_alone(tables, pc_sandbox, pc_client):
    customer, subs = seeded_customer(pc_sandbox, ("active",))
    w = world(tables, pc_client)
    w.service.suspend(customer, asker=Asker.OPERATOR, reason="manual", actor="ops")
    pc_sandbox.state.subscriptions[customer][subs[0]]["status"] = "active"  # someone reactivated it in the portal
    action = w.service.restore(customer, reason="manual", actor="ops")
    assert action.targets[0]["outcome"] == "already_active"
    assert len(patches(pc_sandbox)) == 1
    assert w.subscriptions.get(customer, subs[0]).drift == "found active when restoring"


def test_throttling_is_waited_out_and_the_suspension_lands(tables, pc_sandbox, pc_client, pc_sleeps):
    customer, _subs = seeded_customer(pc_sandbox, ("active",))
    fault(pc_sandbox, path="/subscriptions/", method="PATCH", status=429, times=1, retry_after=3)
    action = world(tables, pc_client).service.suspend(customer, asker=Asker.AUTOMATIC, reason="fraud", actor="poll")
    assert action.status == "confirmed"
    assert 3.0 in pc_sleeps.sleeps
    ids = {c["headers"]["MS-RequestId"] for c in patches(pc_sandbox)}
    assert len(patches(pc_sandbox)) == 2 and len(ids) == 1  # the retry reused the request id


def test_a_persistent_failure_is_recorded_and_completed_later_without_a_second_patch(tables, pc_sandbox, pc_client):
    customer, subs = seeded_customer(pc_sandbox, ("active", "active"))
    fault(pc_sandbox, path=f"/subscriptions/{subs[1]}$", method="PATCH", status=500, times=-1)
    w = world(tables, pc_client)
    action = w.service.suspend(customer, asker=Asker.AUTOMATIC, reason="non_payment", actor="scan")
    assert action.status == "failed"
    outcome = {t["subscription_id"]: t for t in action.targets}
    assert outcome[subs[0]]["outcome"] == "confirmed" and outcome[subs[1]]["outcome"] == "failed"
    assert outcome[subs[1]]["request_id"]
    assert [a.action_id for a in w.actions.open_actions()] == [action.action_id]
    requests_clear(pc_sandbox)
    done = w.service.complete(action)
    assert done.status == "confirmed"
    patched = [c["path"].rsplit("/", 1)[1] for c in patches(pc_sandbox)]
    assert patched.count(subs[0]) == 1 and pc_status(pc_sandbox, customer, subs[1]) == "suspended"
    assert list(w.actions.open_actions()) == []


def test_shadow_mode_records_the_decision_and_calls_nothing(tables, pc_sandbox, pc_client):
    customer, _subs = seeded_customer(pc_sandbox)
    shadow = world(tables, pc_client, mode="shadow").service
    action = shadow.suspend(customer, asker=Asker.AUTOMATIC, reason="non_payment", actor="scan")
    assert action.status == "shadow"
    assert sandbox_calls(pc_sandbox) == []


def test_bad_requests_record_nothing(tables, pc_sandbox, pc_client):
    customer, _ = seeded_customer(pc_sandbox)
    w = world(tables, pc_client)
    with pytest.raises(UnknownReason):
        w.service.suspend(customer, asker=Asker.OPERATOR, reason="late", actor="ops")
    with pytest.raises(UnknownSubscriptions):
        w.service.suspend(customer, asker=Asker.OPERATOR, reason="manual", actor="ops", subscription_ids=["nope"])
    with pytest.raises(CustomerNotInPartnerCenter):
        w.service.suspend("00000000-0000-0000-0000-000000000000", asker=Asker.OPERATOR, reason="manual", actor="ops")
    assert w.actions.for_customer(customer) == []
    assert patches(pc_sandbox) == []


def test_suspending_chosen_subscriptions_leaves_the_others(tables, pc_sandbox, pc_client):
    customer, subs = seeded_customer(pc_sandbox)
    world(tables, pc_client).service.suspend(customer, asker=Asker.OPERATOR, reason="misuse", actor="ops",
                                             subscription_ids=[subs[1]])
    assert [pc_status(pc_sandbox, customer, s) for s in subs] == ["active", "suspended", "active"]


def requests_clear(sandbox):
    import requests

    requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=10)


_OPS = st.lists(st.tuples(st.sampled_from(["suspend", "restore"]),
                          st.sampled_from(["non_payment", "fraud", "misuse", "manual"])), min_size=1, max_size=8)


# Each example uses a customer of its own, so sharing the test's tables between examples is safe.
@settings(max_examples=15, deadline=timedelta(seconds=30), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=_OPS)
def test_the_subscription_is_suspended_exactly_while_some_reason_is_held(tables, pc_sandbox_server, ops):
    import requests

    from lib.partner_center.client import PartnerCenterClient
    from lib.partner_center.tokens import StaticTokenProvider

    requests.post(f"{pc_sandbox_server.url}/_sandbox/reset", json={}, timeout=10)
    client = PartnerCenterClient(pc_sandbox_server.url, StaticTokenProvider("t"), sleep=lambda s: None)
    customer, subs = seeded_customer(pc_sandbox_server, ("active",))
    w = world(tables, client)
    held: set[str] = set()
    for op, reason in ops:
        if op == "suspend":
            w.service.suspend(customer, asker=Asker.AUTOMATIC, reason=reason, actor="prop")
            held.add(reason)
        else:
            w.service.restore(customer, reason=reason, actor="prop")
            held.discard(reason)
        status = pc_status(pc_sandbox_server, customer, subs[0])
        assert status == ("suspended" if held else "active")
        state = w.subscriptions.get(customer, subs[0])
        assert (state.reasons if state else set()) == held
