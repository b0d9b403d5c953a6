"""The notice routes over HTTP on the development host: contacts, a customer's notices, notices by status, the
preview; and the notices queue function mailing through a real SMTP server."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.fixtures.azurite import start_devhost
from tests.integration.notices.notice_world import EN_PROFILE, ZH_PROFILE, customer_with_invoice

pytestmark = pytest.mark.e2e


@pytest.fixture
def host(app_env):
    running = start_devhost(dict(app_env), "--no-timers", "--no-queues")
    yield running
    running.stop()


def call(host, method, path, body=None):
    return requests.request(method, f"{host.url}/api/{path}", timeout=30,
                            headers={"x-functions-key": host.function_key},
                            data=None if body is None else json.dumps(body))


def recent_due() -> str:
    return (datetime.now(UTC) - timedelta(days=3)).isoformat()


def test_contacts_are_validated_and_saved(host, pc_sandbox):
    customer = customer_with_invoice(pc_sandbox, ZH_PROFILE)
    bad = call(host, "PUT", f"customers/{customer}/contacts", {"to": ["not an address"]})
    assert bad.status_code == 400 and bad.json()["field"] == "to"
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert call(host, "PUT", f"customers/{customer}/contacts", {"language": "fr"}).json()["field"] == "language"
    saved = call(host, "PUT", f"customers/{customer}/contacts",
                 {"to": ["CFO@Yunfan.example.cn"], "cc": [], "language": "en"})
    assert saved.status_code == 200
    assert saved.json()["to"] == ["cfo@yunfan.example.cn"] and saved.json()["language"] == "en"


def test_the_preview_renders_without_sending_or_storing_anything(host, pc_sandbox):
    customer = customer_with_invoice(pc_sandbox, EN_PROFILE, company="Contoso <Shanghai>", due=recent_due())
    preview = call(host, "GET", f"customers/{customer}/notices/preview?stage=reminder")
    assert preview.status_code == 200
    body = preview.json()
    assert body["language"] == "en" and body["sent"] is False
    assert body["subject"] == "Payment reminder: ¥12,500.00 overdue"
    assert "Dear Contoso <Shanghai>," in body["text"] and "Contoso &lt;Shanghai&gt;" in body["html"]
    zh = call(host, "GET", f"customers/{customer}/notices/preview?stage=pre_suspension&lang=zh-CN").json()
    assert zh["language"] == "zh-CN" and "服务暂停通知" in zh["subject"]
    assert call(host, "GET", f"customers/{customer}/notices").json()["items"] == []


def test_the_preview_refuses_an_unknown_stage_or_language_and_an_unknown_customer(host, pc_sandbox):
    customer = customer_with_invoice(pc_sandbox, ZH_PROFILE)
    assert call(host, "GET", f"customers/{customer}/notices/preview").json()["field"] == "stage"
    assert call(host, "GET", f"customers/{customer}/notices/preview?stage=dunning").json()["field"] == "stage"
    assert call(host, "GET", f"customers/{customer}/notices/preview?stage=reminder&lang=fr").status_code == 400
    unknown = call(host, "GET", "customers/00000000-0000-4000-8000-000000000009/notices/preview?stage=reminder")
    assert unknown.status_code == 404


def test_a_scan_records_notices_listed_per_customer_and_by_status(host, pc_sandbox):
    customer = customer_with_invoice(pc_sandbox, ZH_PROFILE, due=recent_due())
    assert call(host, "POST", "scan").status_code == 200
    [notice] = call(host, "GET", f"customers/{customer}/notices").json()["items"]
    assert (notice["stage"], notice["status"], notice["language"]) == ("reminder", "recorded", "zh-CN")
    assert notice["to"] == ["caiwu@yunfan.example.cn"] and notice["subject"].startswith("付款提醒")
    listed = call(host, "GET", "notices?status=recorded").json()["items"]
    assert customer in {n["customer_id"] for n in listed}
    assert call(host, "GET", "notices?status=lost").status_code == 400


def test_the_queue_function_on_the_development_host_mails_the_notice(notice_env, pc_sandbox, mailbox):
    customer = customer_with_invoice(pc_sandbox, ZH_PROFILE, due=recent_due())
    running = start_devhost(dict(notice_env), "--no-timers")
    try:
        assert call(running, "POST", "scan").status_code == 200
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            [notice] = call(running, "GET", f"customers/{customer}/notices").json()["items"]
            if notice["status"] == "sent":
                break
            time.sleep(0.2)
    finally:
        running.stop()
    [mail] = mailbox.messages()
    assert mail.recipients[0] == "caiwu@yunfan.example.cn" and notice["status"] == "sent"
    assert mail.message["Message-ID"].strip() == notice["message_id"]
