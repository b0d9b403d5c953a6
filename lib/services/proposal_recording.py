"""Where the gate's "record a proposal" goes (review mode, automatic writes): the `proposals` table.

A proposal holds the customer, the reason, the write kind, the evidence, the stage facts (when the scan made it)
and who created it; an operator approves or rejects it (lib/services/proposals.py). The audit trail keeps an
action row with status `proposed` pointing at it. One open proposal per customer, write kind, reason and case:
the scan and the poll ask again every run, and an operator should see one thing to decide, not a pile of copies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from lib.store.actions import Action, Actions, new_action_id
from lib.store.proposals import Proposal, Proposals, new_proposal_id

PROPOSED = "proposed"
FACTS = "facts"  # the key of `details` under which a caller passes the stage facts


class ProposalRecorder(Protocol):
    def propose(self, customer_id: str, *, kind: str, reason: str, actor: str, evidence: str,
                details: Mapping[str, Any], correlation_id: str | None) -> Action:
        ...


class TableProposals:
    def __init__(self, proposals: Proposals, actions: Actions) -> None:
        self._proposals = proposals
        self._actions = actions

    def propose(self, customer_id: str, *, kind: str, reason: str, actor: str, evidence: str,
                details: Mapping[str, Any], correlation_id: str | None) -> Action:
        rest = {k: v for k, v in details.items() if k != FACTS}
        case_id = rest.get("case_id")
        wanted = Proposal(customer_id=customer_id, proposal_id=new_proposal_id(), reason=reason, write=kind,
                          evidence=evidence, facts=dict(details.get(FACTS) or {}), details=rest, created_by=actor,
                          action_id=new_action_id(), subject=str(case_id) if case_id else None)
        proposal, created = self._proposals.open(wanted)
        if not created:
            existing = self._actions.get(customer_id, proposal.action_id)
            if existing is not None:
                return existing
        return self._audit(proposal, correlation_id)

    def _audit(self, proposal: Proposal, correlation_id: str | None) -> Action:
        """The audit trail's line for it (also written late, when a crash lost it after the proposal was made)."""
        return self._actions.record(
            proposal.customer_id, kind=action_kind(proposal.write), reason=proposal.reason,
            actor=proposal.created_by, note=proposal.evidence, status=PROPOSED,
            details={**proposal.details, "write": proposal.write, "evidence": proposal.evidence,
                     "proposal_id": proposal.proposal_id, FACTS: dict(proposal.facts)},
            correlation_id=correlation_id, action_id=proposal.action_id)


def action_kind(write: str) -> str:
    return {"subscription_status": "suspend", "usage_budget": "usage_budget"}.get(write, write)
