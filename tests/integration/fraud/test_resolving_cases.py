"""Resolving a case, from the API or the console (one use case): clearing a fraud case lifts only the fraud reason,
and clearing a collections-stage case (reason non_payment) lifts nothing: payment does that."""

import pytest

from lib.app_context import get_context
from lib.services.console_desk import CaseClosed, InvalidField
from lib.services.write_gate import Asker
from tests.support.suspension_world import pc_status, seeded_customer

pytestmark = pytest.mark.integration


def test_clearing_a_fraud_case_lifts_fraud_but_never_a_non_payment_suspension(app_env, pc_sandbox):
    customer, [sub] = seeded_customer(pc_sandbox, ("active",))
    context = get_context()
    for reason in ("fraud", "non_payment"):
        context.suspension().suspend(customer, reason=reason, actor="ops", asker=Asker.OPERATOR)
    fraud = context.cases.open(customer, reason="fraud", title="t", description="d", severity="Critical", source="x")
    stage = context.cases.open(customer, reason="non_payment", title="t", description="d", severity="Moderate",
                               source="x")
    cleared = context.desk_actions().resolve_case(customer, fraud.case_id, "cleared", actor="ops", note="legit")
    assert cleared.case.status == "resolved" and cleared.restore_action is not None
    assert context.subscriptions.get(customer, sub).reasons == {"non_payment"}
    closed = context.desk_actions().resolve_case(customer, stage.case_id, "cleared", actor="ops", note="paid?")
    assert closed.restore_action is None and pc_status(pc_sandbox, customer, sub) == "suspended"
    with pytest.raises(CaseClosed):
        context.desk_actions().resolve_case(customer, stage.case_id, "confirmed", actor="ops")
    with pytest.raises(InvalidField, match="outcome"):
        context.desk_actions().resolve_case(customer, fraud.case_id, "maybe", actor="ops")
