"""The console in Debian's Chromium, driven by Playwright, against the app on the development host.

Playwright never downloads a browser here: it launches the system Chromium (`apt-get install chromium`, which
`make install` does when it is missing). One host and one browser serve the whole module; each test seeds its own
customers, so tests do not see each other's rows as theirs.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, sync_playwright

from lib.app_context import AppContext
from lib.partner_center.sandbox.server import SandboxHandle
from lib.settings import load_settings
from tests.fixtures.azurite import DevHostProcess, start_devhost
from tests.fixtures.sandbox import seed
from tests.support.billing_events import STANDARD_SECRET, invoice_issued, standard_delivery


@dataclass
class Console:
    host: DevHostProcess
    sandbox: SandboxHandle
    app: AppContext  # the same tables as the host, for seeding what no route creates (an unmatched payment)

    @property
    def url(self) -> str:
        return f"{self.host.url}/api/console"

    def api(self, method: str, path: str, body: Any = None) -> requests.Response:
        return requests.request(method, f"{self.host.url}/api/{path}", timeout=30,
                                headers={"x-functions-key": self.host.function_key},
                                data=None if body is None else json.dumps(body))

    def debtor(self, company_name: str, *, days_late: int, amount: int) -> str:
        """A Partner Center customer with one invoice `days_late` days past due, recorded by a signed webhook."""
        customer = str(uuid.uuid4())
        seed(self.sandbox, [{"id": customer, "companyName": company_name, "subscriptions": [
            {"id": str(uuid.uuid4()), "offerName": "Azure plan", "status": "active"}]}])
        due = (datetime.now(UTC) - timedelta(days=days_late)).astimezone(UTC)
        body = invoice_issued(customer, f"INV-{customer[:8]}", amount, due_at=due.isoformat(),
                              issued_at=(due - timedelta(days=30)).isoformat())
        raw, headers = standard_delivery(body)
        answer = requests.post(f"{self.host.url}/api/webhooks/standard", data=raw, headers=headers, timeout=30)
        assert answer.json()["status"] == "recorded", answer.text
        return customer


@pytest.fixture(scope="module")
def console(azurite, pc_sandbox_server) -> Iterator[Console]:
    yield from running_console(azurite, pc_sandbox_server, "enforce")


@pytest.fixture(scope="module")
def review_console(azurite, pc_sandbox_server) -> Iterator[Console]:
    """The same, in review mode: the scan proposes and an operator approves from the console."""
    yield from running_console(azurite, pc_sandbox_server, "review")


def running_console(azurite: Any, sandbox: SandboxHandle, mode: str) -> Iterator[Console]:
    unique = uuid.uuid4().hex[:10]
    env = {"AzureWebJobsStorage": azurite.connection_string, "CSPGUARD_TABLE_PREFIX": f"c{unique}",
           "SERVICE_REQUESTS_QUEUE": f"sr-{unique}", "PARTNER_CENTER_BASE_URL": sandbox.url,
           "PARTNER_CENTER_STATIC_TOKEN": "sandbox-token", "ENFORCEMENT_MODE": mode,
           "WEBHOOK_SECRET_STANDARD": STANDARD_SECRET}
    host = start_devhost(env, "--no-timers", "--no-queues")
    app = AppContext(load_settings({**env, "CSPGUARD_FUNCTION_KEY": host.function_key}))
    yield Console(host, sandbox, app)
    host.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's Chromium is missing: `make install` (or `apt-get install -y chromium`) installs it")
    with sync_playwright() as playwright:
        # --no-sandbox: these machines run the tests as root, where Chromium refuses its own sandbox.
        launched = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def sign_in(page: Page, console: Console, path: str = "") -> None:
    joiner = "&" if "?" in path else "?"
    page.goto(f"{console.url}{path}{joiner}code={console.host.function_key}")
