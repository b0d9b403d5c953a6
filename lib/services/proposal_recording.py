"""Where the gate's "record a proposal" goes (review mode, automatic writes).

For now a proposal is an action row with status `proposed`, carrying the reason, the evidence and the actor. The
proposals table, approval and the console come later and replace `ActionRowProposals` behind the same port.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from lib.store.actions import Action, Actions

PROPOSED = "proposed"


class ProposalRecorder(Protocol):
    def propose(self, customer_id: str, *, kind: str, reason: str, actor: str, evidence: str,
                details: Mapping[str, Any], correlation_id: str | None) -> Action:
        ...


class ActionRowProposals:
    def __init__(self, actions: Actions) -> None:
        self._actions = actions

    def propose(self, customer_id: str, *, kind: str, reason: str, actor: str, evidence: str,
                details: Mapping[str, Any], correlation_id: str | None) -> Action:
        # One open proposal per customer, write kind, reason (and case): the scan and the poll ask again every run,
        # and an operator should see one thing to decide, not a pile of copies.
        for action in self._actions.for_customer(customer_id):
            if (action.status == PROPOSED and action.details.get("write") == kind and action.reason == reason
                    and action.details.get("case_id") == details.get("case_id")):
                return action
        return self._actions.record(customer_id, kind=_action_kind(kind), reason=reason, actor=actor, note=evidence,
                                    status=PROPOSED, details={**details, "write": kind, "evidence": evidence},
                                    correlation_id=correlation_id)


def _action_kind(write: str) -> str:
    return {"subscription_status": "suspend", "usage_budget": "usage_budget"}.get(write, write)
