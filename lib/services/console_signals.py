"""What the console's at-risk list shows beside each customer's standing: the customer's open proposals (review
mode) and the status of the latest notice sent or queued to the customer."""

from __future__ import annotations

from dataclasses import dataclass

from lib.services.proposals import ProposalDesk
from lib.store.notices import Notice, Notices
from lib.store.proposals import Proposal


@dataclass(frozen=True)
class Signals:
    proposals: dict[str, list[Proposal]]
    last_notice: dict[str, Notice]


def latest_notice(notices: Notices, customer_id: str) -> Notice | None:
    found = [n for n in notices.for_customer(customer_id) if n.created_at is not None]
    return max(found, key=lambda n: n.created_at or n.as_of, default=None)


def signals(customer_ids: list[str], desk: ProposalDesk, notices: Notices) -> Signals:
    last = {cid: notice for cid in customer_ids if (notice := latest_notice(notices, cid)) is not None}
    return Signals(desk.open_for(customer_ids), last)
