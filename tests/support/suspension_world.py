"""A suspension service wired to Azurite tables and the sandbox, and helpers to seed and inspect both."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from lib.partner_center.client import PartnerCenterClient
from lib.services.proposal_recording import TableProposals
from lib.services.suspension import SuspensionService
from lib.services.write_gate import WriteGate
from lib.store.actions import Actions
from lib.store.leases import CustomerLocks, Leases
from lib.store.proposals import Proposals
from lib.store.subscriptions import Subscriptions
from lib.store.tables import TableStore
from tests.fixtures.sandbox import seed


@dataclass
class World:
    service: SuspensionService
    subscriptions: Subscriptions
    actions: Actions


def world(tables: TableStore, client: PartnerCenterClient, *, mode: str = "enforce", paused: bool = False) -> World:
    subscriptions = Subscriptions(tables.table("subscriptions"))
    actions = Actions(tables.table("actions"))
    locks = CustomerLocks(Leases(tables.table("runs")), wait=timedelta(seconds=20))
    gate = WriteGate(client, TableProposals(Proposals(tables.table("proposals")), actions), mode=mode, paused=paused)
    return World(SuspensionService(client, gate, subscriptions, actions, locks), subscriptions, actions)


def seeded_customer(sandbox, statuses=("active", "active", "active")) -> tuple[str, list[str]]:
    customer = str(uuid.uuid4())
    subs = [str(uuid.uuid4()) for _ in statuses]
    seed(sandbox, [{"id": customer, "companyName": "测试客户有限公司",
                    "subscriptions": [{"id": sid, "offerName": f"Offer {i}", "status": status}
                                      for i, (sid, status) in enumerate(zip(subs, statuses, strict=True))]}])
    return customer, subs


def pc_status(sandbox, customer: str, sub: str) -> str:
    return str(sandbox.state.subscriptions[customer][sub]["status"])
