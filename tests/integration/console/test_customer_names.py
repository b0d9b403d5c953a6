"""Company names and subscriptions from the Partner Center sandbox, kept in Azurite."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from lib.services.customer_names import CustomerNames
from lib.store.companies import Companies
from lib.store.subscriptions import Subscriptions
from tests.fixtures.sandbox import fault, sandbox_calls, seed


def names_service(tables, pc_client, now=None) -> CustomerNames:
    clock = (lambda: now) if now else (lambda: datetime.now(UTC))
    return CustomerNames(Companies(tables.table("companies")), pc_client, Subscriptions(tables.table("subscriptions")),
                         clock=clock)


def customer(sandbox, name: str, statuses=("active",)) -> tuple[str, list[str]]:
    cid, subs = str(uuid.uuid4()), [str(uuid.uuid4()) for _ in statuses]
    listed = [{"id": s, "offerName": f"Offer {i}", "status": st}
              for i, (s, st) in enumerate(zip(subs, statuses, strict=True))]
    seed(sandbox, [{"id": cid, "companyName": name, "subscriptions": listed}])
    return cid, subs


def test_a_name_is_fetched_on_first_sight_and_kept(tables, pc_sandbox, pc_client):
    cid, _ = customer(pc_sandbox, "上海云帆科技有限公司")
    names = names_service(tables, pc_client)
    assert names.names([cid])[cid].name == "上海云帆科技有限公司"
    assert names.names([cid])[cid].name == "上海云帆科技有限公司"
    gets = [c for c in sandbox_calls(pc_sandbox, method="GET") if c["path"] == f"/v1/customers/{cid}"]
    assert len(gets) == 1


def test_a_customer_partner_center_does_not_know_is_asked_again_only_a_day_later(tables, pc_sandbox, pc_client):
    unknown = str(uuid.uuid4())
    now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    assert names_service(tables, pc_client, now).names([unknown])[unknown].found is False
    names_service(tables, pc_client, now + timedelta(hours=23)).names([unknown])
    names_service(tables, pc_client, now + timedelta(days=1)).names([unknown])
    gets = [c for c in sandbox_calls(pc_sandbox, method="GET") if c["path"] == f"/v1/customers/{unknown}"]
    assert len(gets) == 2


def test_a_partner_center_outage_leaves_the_name_unknown_and_keeps_nothing(tables, pc_sandbox, pc_client):
    cid, _ = customer(pc_sandbox, "北京星河数据有限公司")
    fault(pc_sandbox, path=f"/v1/customers/{cid}$", method="GET", status=503, times=20)
    names = names_service(tables, pc_client)
    assert cid not in names.names([cid])
    assert Companies(tables.table("companies")).get(cid) is None


def test_first_sight_asks_for_at_most_the_limit_per_view(tables, pc_sandbox, pc_client):
    ids = [customer(pc_sandbox, f"Company {n}")[0] for n in range(3)]
    names = CustomerNames(Companies(tables.table("companies")), pc_client, Subscriptions(tables.table("subscriptions")),
                          first_sight_limit=2)
    assert len(names.names(ids)) == 2
    assert len(names.names(ids)) == 3


def test_subscriptions_are_listed_the_first_time_and_never_overwrite_what_suspension_recorded(
        tables, pc_sandbox, pc_client):
    cid, subs = customer(pc_sandbox, "深圳前海智联", ("active", "suspended"))
    names = names_service(tables, pc_client)
    listed = names.subscriptions(cid)
    assert {s: listed[s].pc_status for s in subs} == {subs[0]: "active", subs[1]: "suspended"}
    assert listed[subs[0]].offer_name == "Offer 0"
    # reconcile's refresh: a new subscription appears, a renamed offer is renamed, a recorded status stays
    store = Subscriptions(tables.table("subscriptions"))
    store.save(listed[subs[0]].with_reason("non_payment"))
    extra = str(uuid.uuid4())
    seed(pc_sandbox, [{"id": cid, "companyName": "深圳前海智联信息技术有限公司", "subscriptions": [
        {"id": subs[0], "offerName": "Azure plan (renamed)", "status": "deleted"},
        {"id": subs[1], "offerName": "Offer 1", "status": "suspended"},
        {"id": extra, "offerName": "Teams", "status": "active"}]}])
    assert names.refresh([cid]) == []
    after = store.for_customer(cid)
    assert after[subs[0]].offer_name == "Azure plan (renamed)"
    assert after[subs[0]].pc_status == "active" and after[subs[0]].reasons == frozenset({"non_payment"})
    assert after[extra].pc_status == "active"
    assert Companies(tables.table("companies")).get(cid).name == "深圳前海智联信息技术有限公司"
