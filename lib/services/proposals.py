"""Review mode's decisions: an operator approves or rejects a proposal; a payment, a hold or a dispute lapses one.

Approving re-checks first, under the customer's lock, and then writes at once as the approving operator
(Asker.OPERATOR through the write gate):
- non_payment: the fresh book and the hold are evaluated against the policy as of now, the scan's own decision
  (lib/domain/policy.py), and the notice period must have run; otherwise the proposal lapses (`stale-proposal`);
- a proposal about a case (fraud, a stage's service request): the case must not have been cleared since.
Every approval, rejection and lapse is an action row with its actor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lib.domain.policy import SUSPEND, AccountState, CollectionsPolicy, evaluate
from lib.domain.summary import LedgerSummary
from lib.services.collections import NON_PAYMENT, book_marks
from lib.services.notice_outbox import NoticeOutbox
from lib.services.refusals import Refusal
from lib.services.service_requests import ServiceRequestService
from lib.services.suspension import SuspensionService
from lib.services.write_gate import Asker
from lib.store.accounts import Accounts
from lib.store.actions import Action, Actions
from lib.store.cases import Cases
from lib.store.errors import ConcurrencyConflict
from lib.store.ledger import LedgerBook
from lib.store.proposals import APPROVED, LAPSED, OPEN, REJECTED, STATUSES, Proposal, Proposals

LIST_STATUSES = (*STATUSES, "all")
SUBSCRIPTION_STATUS, USAGE_BUDGET, SERVICE_REQUEST = "subscription_status", "usage_budget", "service_request"
CLEARED_CASE = ("resolved", "test")  # a case closed without fraud: nothing left to act on
MAX_NOTE = 2000  # an operator's note in the audit trail (proposals, cases, holds, assignments)


class ProposalError(Refusal):
    """A proposal that cannot be decided as asked."""


class UnknownProposal(ProposalError):
    status, problem = 404, "unknown-proposal"


class ProposalClosed(ProposalError):
    status, problem = 409, "proposal-closed"


class StaleProposal(ProposalError):
    status, problem = 409, "stale-proposal"


class InvalidNote(ProposalError):
    problem, field = "invalid-body", "note"


class InvalidStatus(ProposalError):
    problem, field = "invalid-query", "status"


@dataclass(frozen=True)
class Decided:
    proposal: Proposal
    audit: Action  # the approval or rejection in the audit trail
    write: Action | None = None  # what approving did (the suspension's action row)


def check_note(note: object, *, required: bool) -> str:
    if note is None:
        note = ""
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise InvalidNote(f"note must be text of at most {MAX_NOTE} characters")
    if required and not note.strip():
        raise InvalidNote("note is required: say why the proposal is rejected")
    return note


def check_list_status(status: str | None) -> str:
    status = status or OPEN
    if status not in LIST_STATUSES:
        raise InvalidStatus(f"status must be one of {', '.join(LIST_STATUSES)}")
    return status


class ProposalDesk:
    def __init__(self, proposals: Proposals, actions: Actions, *, suspension: Callable[[], SuspensionService],
                 accounts: Accounts, ledger: LedgerBook, policy: Callable[[], CollectionsPolicy], cases: Cases,
                 notices: Callable[[], NoticeOutbox], service_requests: Callable[[], ServiceRequestService],
                 clock: Callable[[], datetime]) -> None:
        self._proposals = proposals
        self._actions = actions
        self._suspension = suspension
        self._accounts = accounts
        self._ledger = ledger
        self._policy = policy
        self._cases = cases
        self._notices = notices
        self._service_requests = service_requests
        self._clock = clock

    def listed(self, status: str | None = None) -> list[Proposal]:
        wanted = check_list_status(status)
        found = self._proposals.with_status(None if wanted == "all" else wanted)
        return sorted(found, key=lambda p: (p.created_at is None, p.created_at, p.customer_id))

    def open_for(self, customer_ids: list[str]) -> dict[str, list[Proposal]]:
        """Each listed customer's open proposals (one query, for the console's at-risk list)."""
        wanted = set(customer_ids)
        found: dict[str, list[Proposal]] = {}
        for proposal in self._proposals.with_status(OPEN):
            if proposal.customer_id in wanted:
                found.setdefault(proposal.customer_id, []).append(proposal)
        return found

    def for_customer(self, customer_id: str) -> list[Proposal]:
        return self._proposals.for_customer(customer_id)

    def approve(self, customer_id: str, proposal_id: str, *, actor: str, note: str = "") -> Decided:
        note = check_note(note, required=False)
        suspension = self._suspension()
        with suspension.locks.hold(customer_id):
            proposal = self._open(customer_id, proposal_id)
            stale = self._why_stale(proposal)
            if stale:
                self._close(proposal, LAPSED, actor=actor, note=f"stale when approved: {stale}")
                raise StaleProposal(f"the proposal no longer holds: {stale}; it has lapsed")
            write = self._carry_out(proposal, suspension, actor=actor, note=note)
            return self._close(proposal, APPROVED, actor=actor, note=note, write=write)

    def reject(self, customer_id: str, proposal_id: str, *, actor: str, note: object) -> Decided:
        text = check_note(note, required=True)
        return self._close(self._open(customer_id, proposal_id), REJECTED, actor=actor, note=text)

    def lapse(self, customer_id: str, *, why: str, actor: str) -> Decided | None:
        """The customer's open non-payment suspension proposal lapses (a hold changed, a payment, a dispute)."""
        if self._proposals.open_for(customer_id, SUBSCRIPTION_STATUS, NON_PAYMENT) is None:
            return None
        return self._lapse_locked(customer_id, actor, lambda _: why)

    def after_book_change(self, customer_id: str, summary: LedgerSummary, *, actor: str) -> Decided | None:
        """The payment hook's part: a payment (or credit) or a new dispute since the proposal was made lapses it;
        a new invoice does not. Costs one point read when the customer has no open proposal."""
        proposal = self._proposals.open_for(customer_id, SUBSCRIPTION_STATUS, NON_PAYMENT)
        if proposal is None or _book_changed(proposal.facts.get("book"), book_marks(summary)) is None:
            return None
        return self._lapse_locked(customer_id, actor,
                                  lambda p: _book_changed(p.facts.get("book"), book_marks(summary)))

    def _lapse_locked(self, customer_id: str, actor: str, why: Callable[[Proposal], str | None]) -> Decided | None:
        """Under the customer's lock, as approving is, so a proposal never lapses while it is being carried out."""
        with self._suspension().locks.hold(customer_id):
            proposal = self._proposals.open_for(customer_id, SUBSCRIPTION_STATUS, NON_PAYMENT)
            reason = why(proposal) if proposal is not None else None
            if proposal is None or reason is None:
                return None
            return self._close(proposal, LAPSED, actor=actor, note=reason)

    # --- steps ---

    def _open(self, customer_id: str, proposal_id: str) -> Proposal:
        proposal = self._proposals.get(customer_id, proposal_id)
        if proposal is None:
            raise UnknownProposal(f"customer {customer_id} has no proposal {proposal_id}")
        if proposal.status != OPEN:
            raise ProposalClosed(f"the proposal is already {proposal.status}")
        return proposal

    def _why_stale(self, proposal: Proposal) -> str:
        case_id = proposal.details.get("case_id")
        if case_id:
            case = self._cases.get(proposal.customer_id, str(case_id))
            if case is None or case.status in CLEARED_CASE:
                return f"case {case_id} is {case.status if case else 'gone'}"
        if proposal.reason == NON_PAYMENT and proposal.write == SUBSCRIPTION_STATUS:
            return self._book_no_longer_calls(proposal.customer_id)
        return ""

    def _book_no_longer_calls(self, customer_id: str) -> str:
        now = self._clock()
        policy = self._policy()
        row = self._accounts.get(customer_id)
        summary = self._ledger.load(customer_id, fresh=True).summary
        decision = evaluate(policy, AccountState(customer_id, summary, row.hold if row else None,
                                                 row.stage if row else None), now)
        if SUSPEND not in decision.actions:
            held = "; ".join(w.why for w in decision.withheld if w.action == SUSPEND)
            return held or f"the book no longer calls for a suspension ({decision.reason})"
        if self._notices().suspension_waits(customer_id, now, new_episode=False):
            return "the notice period before a suspension has not run yet"
        return ""

    def _carry_out(self, proposal: Proposal, suspension: SuspensionService, *, actor: str,
                   note: str) -> Action | None:
        cid = proposal.customer_id
        why = f"proposal {proposal.proposal_id} approved" + (f": {note}" if note else "")
        if proposal.write == SUBSCRIPTION_STATUS:
            ids = proposal.details.get("subscription_ids")
            return suspension.suspend_locked(cid, reason=proposal.reason, actor=actor, asker=Asker.OPERATOR,
                                             note=why, subscription_ids=ids if isinstance(ids, list) else None)
        if proposal.write == USAGE_BUDGET:
            amount = int(proposal.details.get("amount", 0))
            gate = suspension.gate
            result = gate.write_usage_budget(Asker.OPERATOR, cid, amount)
            return self._actions.record(cid, kind="usage_budget", reason=proposal.reason, actor=actor, note=why,
                                        status="confirmed", details={"amount": amount,
                                                                     "request_id": result.request_id})
        if proposal.write == SERVICE_REQUEST:
            case = self._cases.get(cid, str(proposal.details.get("case_id")))
            if case is not None:
                self._service_requests().request(case, asker=Asker.OPERATOR, actor=actor)
            return None
        raise ProposalError(f"a proposal to write {proposal.write!r} cannot be approved here")

    def _close(self, proposal: Proposal, status: str, *, actor: str, note: str,
               write: Action | None = None) -> Decided:
        try:
            decided = self._proposals.decide(proposal, status, actor=actor, note=note)
        except ConcurrencyConflict:
            latest = self._proposals.get(proposal.customer_id, proposal.proposal_id)
            raise ProposalClosed(f"the proposal is already {latest.status if latest else 'gone'}") from None
        details: dict[str, Any] = {"proposal_id": proposal.proposal_id, "write": proposal.write}
        if write is not None:
            details.update(write_action_id=write.action_id, write_status=write.status)
        audit = self._actions.record(proposal.customer_id, kind="proposal", reason=proposal.reason, actor=actor,
                                     note=note, status=status, details=details)
        return Decided(decided, audit, write)


def _book_changed(before: object, now: Mapping[str, Any]) -> str | None:
    if not isinstance(before, Mapping):
        return None
    if now.get("last_payment_at") != before.get("last_payment_at"):
        return "the customer paid"
    if int(now.get("balance") or 0) < int(before.get("balance") or 0):
        return "the customer's balance went down (a payment or a credit)"
    if int(now.get("open_disputes") or 0) > int(before.get("open_disputes") or 0):
        return "the customer opened a dispute"
    return None
