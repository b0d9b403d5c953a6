"""The console as Azure serves it: App Service Authentication signs the operator in, and no key is involved."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.fixtures.azurite import start_devhost
from tests.support.billing_events import STANDARD_SECRET, invoice_issued, standard_delivery

pytestmark = pytest.mark.e2e


def principal(*roles: str) -> str:
    claims = [{"typ": "roles", "val": r} for r in roles] + [{"typ": "name", "val": "wang.fang@contoso.cn"}]
    return base64.b64encode(json.dumps({"claims": claims, "name_typ": "name", "role_typ": "roles"}).encode()).decode()


@pytest.fixture(scope="module")
def azure_like(azurite, pc_sandbox_server):
    unique = uuid.uuid4().hex[:10]
    env = {"AzureWebJobsStorage": azurite.connection_string, "CSPGUARD_TABLE_PREFIX": f"e{unique}",
           "SERVICE_REQUESTS_QUEUE": f"sr-{unique}", "PARTNER_CENTER_BASE_URL": pc_sandbox_server.url,
           "PARTNER_CENTER_STATIC_TOKEN": "sandbox-token", "WEBHOOK_SECRET_STANDARD": STANDARD_SECRET,
           "WEBSITE_AUTH_ENABLED": "true"}
    host = start_devhost(env, "--no-timers", "--no-queues")
    yield host
    host.stop()


def test_an_operator_signed_in_by_entra_id_works_the_console_with_a_double_submit_token(azure_like):
    url = f"{azure_like.url}/api/console"
    headers = {"X-MS-CLIENT-PRINCIPAL": principal("CspGuard.Operator"), "Accept": "text/html"}
    page = requests.get(url, headers=headers, timeout=30)
    assert page.status_code == 200 and "wang.fang@contoso.cn" in page.text
    csrf_cookie = page.cookies.get("cspguard_csrf")
    assert csrf_cookie and "SameSite=Strict" in page.headers["Set-Cookie"] and "HttpOnly" in page.headers["Set-Cookie"]
    assert azure_like.function_key not in page.text
    # Signing out belongs to Easy Auth (/.auth/logout), not to the console.
    assert "/api/console/logout" not in page.text
    customer = str(uuid.uuid4())
    raw, signed = standard_delivery(invoice_issued(customer, "INV-EA-1", 120_000))
    assert requests.post(f"{azure_like.url}/api/webhooks/standard", data=raw, headers=signed,
                         timeout=30).json()["status"] == "recorded"
    hold = {"kind": "promise_to_pay", "until": "2099-01-01"}
    jar = {"cspguard_csrf": csrf_cookie}
    forged = requests.post(f"{url}/customers/{customer}/hold", data={**hold, "csrf": "guess"}, headers=headers,
                           cookies=jar, timeout=30, allow_redirects=False)
    assert forged.status_code == 403
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    hold["until"] = (today + timedelta(days=10)).isoformat()
    done = requests.post(f"{url}/customers/{customer}/hold", data={**hold, "csrf": csrf_cookie}, headers=headers,
                         cookies=jar, timeout=30, allow_redirects=False)
    assert done.status_code == 303
    view = requests.get(f"{azure_like.url}/api/customers/{customer}", timeout=30, headers={
        "x-functions-key": azure_like.function_key, "X-MS-CLIENT-PRINCIPAL": principal("CspGuard.Operator")}).json()
    assert view["hold"]["until"] == hold["until"]
    assert view["recent_actions"][0]["actor"] == "wang.fang@contoso.cn"


@pytest.mark.parametrize(("headers", "status"), [
    ({}, 401),
    ({"X-MS-CLIENT-PRINCIPAL": principal("Reader")}, 403),
    ({"x-functions-key": "anything"}, 401),
])
def test_without_an_operator_role_the_console_refuses_and_a_key_or_code_opens_nothing(azure_like, headers, status):
    answer = requests.get(f"{azure_like.url}/api/console", headers=headers, timeout=30)
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("application/problem+json")
    by_code = requests.get(f"{azure_like.url}/api/console?code={azure_like.function_key}", timeout=30,
                           allow_redirects=False)
    assert by_code.status_code == 403 and "cspguard_session" not in by_code.headers.get("Set-Cookie", "")


def test_the_runs_page_shows_what_the_scan_did_in_the_operators_language(azure_like):
    headers = {"X-MS-CLIENT-PRINCIPAL": principal("CspGuard.Operator"), "Accept": "text/html"}
    scan = requests.post(f"{azure_like.url}/api/scan", timeout=60, headers={
        "x-functions-key": azure_like.function_key, "X-MS-CLIENT-PRINCIPAL": principal("CspGuard.Operator")}).json()
    page = requests.get(f"{azure_like.url}/api/console/runs?lang=en", headers=headers, timeout=30)
    assert page.status_code == 200 and "What the jobs did" in page.text
    assert f'data-run="{scan["run_id"]}" data-status="{scan["status"]}"' in page.text
    for job in ("delinquency_scan", "act_on_due_customers", "full_sweep", "fraud_events_poll", "reconcile"):
        assert f'id="job-{job}"' in page.text
    assert 'href="/api/console/runs" aria-current="page"' in page.text  # in the navigation
    chinese = requests.get(f"{azure_like.url}/api/console/runs?lang=zh-CN", headers=headers, timeout=30)
    assert "定时任务与队列的运行记录" in chinese.text
    refused = requests.get(f"{azure_like.url}/api/console/runs", headers={"Accept": "text/html"}, timeout=30)
    assert refused.status_code == 401
