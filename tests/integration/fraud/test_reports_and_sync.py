"""What suspensions cost, and service request status kept in step with Partner Center."""

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest
import requests

from lib.app_context import get_context
from lib.services.suspension_report import suspension_report
from lib.services.write_gate import Asker
from tests.support.suspension_world import seeded_customer

pytestmark = pytest.mark.integration


def test_a_long_suspension_is_reported_as_still_billed_with_data_at_risk(app_env, pc_sandbox):
    customer, subs = seeded_customer(pc_sandbox, ("active",))
    context = get_context()
    context.suspension().suspend(customer, asker=Asker.AUTOMATIC, reason="non_payment", actor="scan")
    state = context.subscriptions.get(customer, subs[0])
    context.subscriptions.save(dataclasses.replace(state, suspended_at=datetime.now(UTC) - timedelta(days=70),
                                                   commitment_end=(datetime.now(UTC) + timedelta(days=10)).isoformat()))
    report = suspension_report(context.subscriptions, datetime.now(UTC))
    item = report["items"][0]
    assert item["days_suspended"] == 70 and item["still_billed"] and item["data_at_risk"]
    assert item["days_to_term_end"] in (9, 10) and len(item["warnings"]) == 3
    from lib.services.health_check import check_status

    status = check_status(context.settings)
    assert status.components["suspensions"].details["data_at_risk"] == 1 and status.status == "degraded"


def test_reconcile_copies_a_service_requests_status_into_its_case(app_env, pc_sandbox):
    customer, _ = seeded_customer(pc_sandbox)
    context = get_context()
    case = context.cases.open(customer, reason="misuse", title="t", description="d", severity="Minimal",
                              source="test")
    body = json.dumps({"case_id": case.case_id, "customer_id": customer, "title": "t", "description": "d",
                       "severity": "Minimal"}).encode()
    reported = context.service_requests_service().handle(body)
    requests.post(f"{pc_sandbox.url}/_sandbox/servicerequests/{reported.service_request_id}/status",
                  json={"status": "attention_needed"}, timeout=10).raise_for_status()
    report = context.reconciler().run()
    assert report.service_requests_updated == 1
    assert context.cases.get(customer, case.case_id).service_request_status == "attention_needed"
