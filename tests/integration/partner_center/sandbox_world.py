"""Small builders shared by the Partner Center integration tests."""

from __future__ import annotations

import uuid
from typing import Any

from lib.partner_center.sandbox.server import SandboxHandle
from tests.fixtures.sandbox import seed

FRAUD_TOPIC = "32444671"


def a_customer(sandbox: SandboxHandle, subscriptions: int = 1, *, statuses: tuple[str, ...] = (),
               **extra: Any) -> str:
    """A new customer with subscriptions sub-0, sub-1, ... (active unless `statuses` says otherwise)."""
    customer = str(uuid.uuid4())
    count = max(subscriptions, len(statuses))
    seed(sandbox, [{"id": customer, "companyName": "上海云帆科技有限公司", **extra, "subscriptions": [
        {"id": f"sub-{n}", "offerName": "Azure plan", "status": statuses[n] if n < len(statuses) else "active"}
        for n in range(count)]}])
    return customer
