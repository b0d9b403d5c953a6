"""What an operator does from the console: assign an unmatched payment, resolve a case, set or end a hold.

Each does what the matching JSON route does (`POST /api/unmatched/…/assign`, `POST /api/cases/…/resolve`,
`PUT|DELETE /api/customers/{id}/hold`), with the same rules and the same audit trail, so the console and the API
cannot disagree about what an action means.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime

from lib.domain.hold_request import parse_hold
from lib.domain.policy import CollectionsPolicy, Hold
from lib.services.assign_unmatched import UnmatchedAssignment
from lib.services.customer_view import CustomerNotFound
from lib.services.ingest_event import IngestResult
from lib.services.proposals import MAX_NOTE
from lib.services.refusals import Refusal
from lib.services.suspension import SuspensionService
from lib.store import unmatched as unmatched_store
from lib.store.accounts import Accounts
from lib.store.actions import Action, Actions
from lib.store.cases import Case, Cases
from lib.store.ledger import LedgerBook
from lib.store.unmatched import UnmatchedEvents

OUTCOMES = ("cleared", "confirmed")


class DeskError(Refusal):
    """An operator's desk action (console or API) that cannot be done as asked."""


class NoSuchEvent(DeskError):
    status, problem = 404, "no-such-event"


class AlreadyAssigned(DeskError):
    status, problem = 409, "already-assigned"


class UnknownCase(DeskError):
    status, problem = 404, "unknown-case"


class CaseClosed(DeskError):
    status, problem = 409, "case-closed"


class InvalidField(DeskError):
    problem = "invalid-body"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclasses.dataclass(frozen=True)
class Resolution:
    case: Case
    restore_action: Action | None  # the restore a cleared fraud or misuse case made, if any


@dataclasses.dataclass(frozen=True)
class Assignment:
    result: IngestResult
    customer_id: str


class DeskActions:
    def __init__(self, *, unmatched: UnmatchedEvents, assignment: Callable[[], UnmatchedAssignment],
                 actions: Actions, cases: Cases, suspension: Callable[[], SuspensionService], accounts: Accounts,
                 ledger: LedgerBook, policy: CollectionsPolicy,
                 on_hold_change: Callable[[str, str, str], object] | None = None) -> None:
        # Told (customer, why, actor) after a hold is set or ended: an open non-payment proposal lapses then.
        self._on_hold_change = on_hold_change
        self._unmatched = unmatched
        self._assignment = assignment
        self._actions = actions
        self._cases = cases
        self._suspension = suspension
        self._accounts = accounts
        self._ledger = ledger
        self._policy = policy

    def assign_unmatched(self, provider: str, event_id: str, customer_id: str, *, actor: str,
                         note: str = "") -> Assignment:
        note = _note(note)
        kept = self._unmatched.get(provider, event_id)
        if kept is None:
            raise NoSuchEvent(f"no unmatched event {provider}/{event_id}")
        # The same claim-once use case as the JSON route: final, ETag-conditional, one credit however often asked.
        try:
            result = self._assignment().assign(provider, event_id, customer_id=customer_id, actor=actor)
        except unmatched_store.UnmatchedEventMissing:
            raise NoSuchEvent(f"no unmatched event {provider}/{event_id}") from None
        except unmatched_store.AlreadyAssigned as exc:
            raise AlreadyAssigned(f"already assigned to {exc.assigned_to}") from None
        self._actions.record(customer_id, kind="assign", reason="unmatched", actor=actor, note=note,
                             status="recorded", details={"provider": provider, "event_id": event_id,
                                                        "type": kept.type, "outcome": result.status})
        return Assignment(result, customer_id)

    def resolve_case(self, customer_id: str, case_id: str, outcome: str, *, actor: str,
                     note: str = "") -> Resolution:
        """`POST /api/cases/{customer_id}/{case_id}/resolve` and the console's resolve form alike."""
        if outcome not in OUTCOMES:
            raise InvalidField("outcome", "outcome must be cleared or confirmed")
        note = _note(note)
        case = self._cases.get(customer_id, case_id)
        if case is None:
            raise UnknownCase("no such case")
        if case.status in ("resolved", "confirmed"):
            raise CaseClosed(f"the case is already {case.status}")
        action = None
        if outcome == "cleared" and case.reason in ("fraud", "misuse"):
            # Lifts this case's reason through the suspension rules: other reasons (non-payment) still hold. A case
            # opened by a collections stage (reason non_payment) is cleared by payment, never by closing the case.
            action = self._suspension().restore(customer_id, reason=case.reason, actor=actor,
                                                note=f"case {case.case_id} cleared: {note}")
        return Resolution(self._cases.save(dataclasses.replace(
            case, status="resolved" if outcome == "cleared" else "confirmed", outcome=outcome, resolved_by=actor,
            notes=(*case.notes, f"{actor}: {outcome}: {note}"))), action)

    def set_hold(self, customer_id: str, fields: dict[str, object], *, actor: str, as_of: datetime) -> Hold:
        hold = parse_hold(fields, self._policy, as_of)
        self._known(customer_id)
        self._accounts.set_hold(customer_id, hold, actor=actor)
        self._actions.record(customer_id, kind="hold", reason=hold.kind, actor=actor, note=hold.note,
                             status="recorded", details={"until": hold.until.isoformat()})
        self._hold_changed(customer_id, f"a {hold.kind} hold was set until {hold.until.isoformat()}", actor)
        return hold

    def end_hold(self, customer_id: str, *, actor: str) -> Action:
        self._known(customer_id)
        self._accounts.clear_hold(customer_id, actor=actor)
        action = self._actions.record(customer_id, kind="hold", reason="ended", actor=actor, status="recorded")
        self._hold_changed(customer_id, "the hold was ended", actor)
        return action

    def _hold_changed(self, customer_id: str, why: str, actor: str) -> None:
        if self._on_hold_change is not None:
            self._on_hold_change(customer_id, why, actor)

    def _known(self, customer_id: str) -> None:
        if self._accounts.get(customer_id) is None and not self._ledger.load(customer_id).exists:
            raise CustomerNotFound(f"csp-guard knows nothing of customer {customer_id}")


def _note(note: str) -> str:
    if len(note) > MAX_NOTE:
        raise InvalidField("note", f"note must be at most {MAX_NOTE} characters")
    return note
