"""Operators hear about fraud at once: a case opened, a suspension made, a suspension the kill switch withheld."""

import pytest

from lib.app_context import get_context
from tests.integration.fraud.test_fraud_poll import MINER, seed_miner

pytestmark = pytest.mark.integration


def record_alerts() -> list[tuple[str, str, dict[str, object]]]:
    raised: list[tuple[str, str, dict[str, object]]] = []
    get_context().ops_alert = lambda kind, summary, details: raised.append((kind, summary, details))
    return raised


def test_a_fraud_case_and_its_suspension_each_raise_one_alert(app_env, pc_sandbox):
    raised = record_alerts()
    seed_miner(pc_sandbox)
    get_context().fraud_poll().run()
    assert [kind for kind, _, _ in raised] == ["fraud_case_opened", "suspension_made"]
    assert all(details["customer_id"] == MINER for _, _, details in raised)
    case = get_context().cases.for_customer(MINER)[0]
    assert case.case_id in raised[0][1] and raised[1][2]["case_id"] == case.case_id
    get_context().fraud_poll().run()  # nothing new: no alert again
    assert len(raised) == 2


def test_a_suspension_withheld_by_the_kill_switch_is_an_alert_not_a_log_line(app_env, pc_sandbox, monkeypatch):
    monkeypatch.setenv("ENFORCEMENT_PAUSED", "true")
    from lib.app_context import reset_context

    reset_context()
    raised = record_alerts()
    seed_miner(pc_sandbox)
    get_context().fraud_poll().run()
    assert [kind for kind, _, _ in raised] == ["fraud_case_opened", "suspension_withheld"]
    assert "ENFORCEMENT_PAUSED" in raised[1][1]
