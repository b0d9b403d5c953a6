"""Operators' alerts through Apprise to a local JSON receiver (a real HTTP server on 127.0.0.1), batched under the
robot's rate limit."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lib.notices.ops_alerts import ROBOT_MESSAGES_PER_MINUTE, AppriseOpsAlerts

pytestmark = pytest.mark.integration


class Receiver(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.posts: list[tuple[float, dict[str, str]]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server_address[1]}/alerts"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.server.lock:
            self.server.posts.append((time.monotonic(), json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def wait_for(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_an_alert_reaches_the_json_webhook_with_its_kind_summary_and_details(receiver):
    alerts = AppriseOpsAlerts([receiver.url], batch_seconds=0.05)
    alerts.raise_alert("notice_failed", "notice n-0001-reminder failed: 550 5.1.1", {"customer_id": "c-1"})
    assert wait_for(lambda: receiver.posts)
    [(_, post)] = receiver.posts
    assert post["title"] == "csp-guard: notice n-0001-reminder failed: 550 5.1.1"
    assert "[notice_failed]" in post["message"] and "customer_id=c-1" in post["message"]
    assert post["type"] == "failure"
    alerts.close()


def test_a_burst_of_alerts_is_batched_and_never_exceeds_the_rate(receiver):
    per_window, window = 3, 2.0
    alerts = AppriseOpsAlerts([receiver.url], per_minute=per_window, window=window, batch_seconds=0.05)
    for n in range(40):
        alerts.raise_alert("suspension_made", f"customer c-{n} suspended for non_payment", {"n": n})
        time.sleep(0.02)
    assert wait_for(lambda: sum(p["message"].count("[suspension_made]") for _, p in receiver.posts) == 40, 15)
    times = [t for t, _ in receiver.posts]
    assert len(times) < 40  # batched, not one message per alert
    for i, start in enumerate(times):  # no sliding window holds more than the limit
        assert sum(1 for t in times[i:] if t - start < window - 0.05) <= per_window
    alerts.close()


def test_the_default_limit_is_the_chat_robots_twenty_a_minute():
    assert ROBOT_MESSAGES_PER_MINUTE == 20


def test_a_url_apprise_does_not_know_is_refused_naming_only_its_scheme():
    with pytest.raises(ValueError, match="nosuchservice://") as caught:
        AppriseOpsAlerts(["nosuchservice://secret-robot-key"])
    assert "secret-robot-key" not in str(caught.value)


def test_a_receiver_that_is_down_does_not_break_the_caller_and_the_alert_stays_in_the_log(receiver, caplog):
    url = receiver.url
    receiver.shutdown()
    receiver.server_close()
    alerts = AppriseOpsAlerts([url], batch_seconds=30)
    alerts.raise_alert("poison_message", "a notices message was poisoned", {})
    assert alerts.flush() is True  # sent (and refused) now, without waiting for the batch timer
    alerts.close()
    assert "operator alert poison_message: a notices message was poisoned" in caplog.text
    assert "refused 1 alert(s)" in caplog.text
