"""`make run` (lib/local_stack.py) stops within 5 s of Ctrl-C in every state, and leaves nothing running."""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import requests

from lib.azurite_process import free_port, wait_for_port
from lib.settings import APP_ROOT

pytestmark = pytest.mark.e2e
DEMO_CUSTOMER = "a4919d75-b63f-5bcd-a546-7514fe6b8353"


class Stack:
    def __init__(self, log_path):
        self.ports = {name: free_port() for name in ("CSPGUARD_PORT", "SANDBOX_PORT", "AZURITE_BLOB_PORT",
                                                     "AZURITE_QUEUE_PORT", "AZURITE_TABLE_PORT")}
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
               **{name: str(port) for name, port in self.ports.items()}}
        # Its own process group, as a terminal's foreground job: Ctrl-C reaches make run and what it runs inline.
        # Output to a file: a pipe nobody reads would fill up and block every component's logging.
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "lib.local_stack"], cwd=APP_ROOT, env=env,
                                            stdout=log, stderr=log, start_new_session=True)
        self.app = f"http://127.0.0.1:{self.ports['CSPGUARD_PORT']}/api"
        self.sandbox = f"http://127.0.0.1:{self.ports['SANDBOX_PORT']}"

    def ctrl_c(self) -> float:
        started = time.monotonic()
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
        return time.monotonic() - started

    def listening(self) -> list[int]:
        return [port for port in self.ports.values() if wait_for_port("127.0.0.1", port, 0.2)]


@pytest.fixture
def stack(tmp_path):
    running = Stack(tmp_path / "make-run.log")
    yield running
    if running.process.poll() is None:
        os.killpg(running.process.pid, signal.SIGKILL)
        running.process.wait()


def test_ctrl_c_after_a_burst_of_keep_alive_requests_and_with_calls_in_flight_stops_within_5_s(stack):
    assert wait_for_port("127.0.0.1", stack.ports["CSPGUARD_PORT"], 120, stack.process)
    headers = {"x-functions-key": "local-dev-key"}
    sessions = [requests.Session() for _ in range(50)]  # kept open: every connection stays alive

    def burst(session):
        for path in ("health", "scan/preview", f"customers/{DEMO_CUSTOMER}", "reports/aging"):
            session.get(f"{stack.app}/{path}", headers=headers, timeout=60)

    threads = [threading.Thread(target=burst, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then Partner Center turns slow, and scans and suspensions are left waiting on it when Ctrl-C comes.
    requests.post(f"{stack.sandbox}/_sandbox/faults", json={"path": ".*", "delay_ms": 30000, "times": -1},
                  timeout=10)

    def slow(session):
        for path in ("scan", f"customers/{DEMO_CUSTOMER}/suspend"):
            with contextlib.suppress(requests.RequestException):  # the stack goes away under it, as it should
                session.post(f"{stack.app}/{path}", json={"reason": "manual"}, headers=headers, timeout=60)

    for session in sessions[:10]:
        threading.Thread(target=slow, args=(session,), daemon=True).start()
    time.sleep(2)
    assert stack.ctrl_c() < 5.0
    assert stack.listening() == []


@pytest.mark.parametrize("after", [0.3, 2.0])
def test_ctrl_c_while_it_is_still_starting_stops_within_5_s_and_leaves_nothing(stack, after):
    time.sleep(after)
    assert stack.ctrl_c() < 5.0
    assert stack.listening() == []


def test_ctrl_c_as_the_demo_book_is_being_seeded_stops_within_5_s(stack):
    assert wait_for_port("127.0.0.1", stack.ports["CSPGUARD_PORT"], 120, stack.process)
    assert stack.ctrl_c() < 5.0
    assert stack.listening() == []
