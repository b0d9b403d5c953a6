"""Service requests as create-a-service-request documents them (lower-case severities, a new request's status
`none`), and where the Partner Center operated by 21Vianet does not offer the API (404/403): the case waits as
`needs_manual_report` with the text to paste into 21Vianet's portal, and an alert is raised."""

import json

import pytest

from lib.app_context import get_context
from lib.partner_center.errors import RetriesExhaustedError
from lib.partner_center.retry import RetryPolicy
from tests.fixtures.sandbox import fault, sandbox_calls
from tests.support.suspension_world import seeded_customer

pytestmark = pytest.mark.integration


def queued(customer, severity):
    case = get_context().cases.open(customer, reason="fraud", title="Suspected crypto-mining",
                                    description="vm-9 connected to a mining pool", severity="Critical", source="test")
    body = json.dumps({"case_id": case.case_id, "customer_id": customer, "title": case.title,
                       "description": case.description, "severity": severity}).encode()
    return case, body


@pytest.mark.parametrize("severity", ["Critical", "critical", "CRITICAL"])
def test_either_spelling_of_a_severity_is_sent_as_documented(app_env, pc_sandbox, severity):
    customer, _ = seeded_customer(pc_sandbox)
    _, body = queued(customer, severity)
    done = get_context().service_requests_service().handle(body)
    [post] = [c for c in sandbox_calls(pc_sandbox, method="POST") if c["path"].startswith("/v1/servicerequests/")]
    assert post["body"]["Severity"] == "critical"
    assert done.service_request_id and done.service_request_status == "none" and done.status == "reported"


@pytest.mark.parametrize(("where", "status"), [("POST", 404), ("POST", 403), ("GET", 404)])
def test_an_api_21vianet_does_not_offer_leaves_a_manual_report_and_an_alert(app_env, pc_sandbox, where, status):
    raised = []
    get_context().ops_alert = lambda kind, summary, details: raised.append((kind, summary, details))
    customer, _ = seeded_customer(pc_sandbox)
    case, body = queued(customer, "critical")
    fault(pc_sandbox, path="^/v1/servicerequests", method=where, status=status, times=-1)
    done = get_context().service_requests_service().handle(body)  # no exception: the message is finished
    assert done.status == "needs_manual_report" and done.service_request_id is None
    text = done.notes[-1]
    for part in (f"[{case.case_id}] Suspected crypto-mining", "Severity: critical", customer,
                 "vm-9 connected to a mining pool", f"answered {status}"):
        assert part in text
    stored = get_context().cases.get(customer, case.case_id)
    assert stored.status == "needs_manual_report" and stored.notes[-1] == text
    assert [c.case_id for c in get_context().cases.list(status="needs_manual_report")] == [case.case_id]
    [(kind, summary, details)] = raised
    assert kind == "needs_manual_report" and case.case_id in summary and details["customer_id"] == customer
    again = get_context().service_requests_service().handle(body)  # redelivered: nothing more is tried
    assert again.status == "needs_manual_report" and len(again.notes) == len(done.notes)


def test_an_outage_is_not_a_manual_report_but_raised_for_the_host_to_retry(app_env, pc_sandbox):
    customer, _ = seeded_customer(pc_sandbox)
    case, body = queued(customer, "moderate")
    fault(pc_sandbox, path="^/v1/servicerequests", method="GET", status=503, times=-1)
    get_context().partner_center.retry = RetryPolicy(total=0)
    with pytest.raises(RetriesExhaustedError):
        get_context().service_requests_service().handle(body)
    assert get_context().cases.get(customer, case.case_id).status == "open"
