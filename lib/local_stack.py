"""`make run`: Azurite (in memory), the Partner Center sandbox with demo data, and the app on the development host.

Settings already in the environment win over the local defaults. Ctrl-C stops all three.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from lib.azurite_process import AzuriteError, connection_string, start_azurite, wait_for_port

APP_PORT = int(os.environ.get("CSPGUARD_PORT", "7071"))
SANDBOX_PORT = int(os.environ.get("SANDBOX_PORT", "7081"))
DEV_FUNCTION_KEY = "local-dev-key"  # only ever accepted by the local development host


def local_environment() -> dict[str, str]:
    env = dict(os.environ)
    defaults = {
        "AzureWebJobsStorage": connection_string("127.0.0.1", 10000, 10001, 10002),
        "PARTNER_CENTER_BASE_URL": f"http://127.0.0.1:{SANDBOX_PORT}",
        "PARTNER_CENTER_STATIC_TOKEN": "sandbox-token",
        "CSPGUARD_FUNCTION_KEY": DEV_FUNCTION_KEY,
        "ENFORCEMENT_MODE": "enforce",
        # The sandbox signs its Partner Center webhook deliveries with its own certificate.
        "PARTNER_CENTER_WEBHOOK_CERT_HOSTS": f"127.0.0.1:{SANDBOX_PORT}",
        "PARTNER_CENTER_WEBHOOK_CERT_ORG": "csp-guard sandbox",
        "WEBHOOK_SECRET_STANDARD": "whsec_" + "bG9jYWwtZGV2LXNlY3JldC1mb3ItY3NwLWd1YXJk",
    }
    for name, value in defaults.items():
        env.setdefault(name, value)
    return env


def console_url(env: dict[str, str]) -> str:
    return f"http://127.0.0.1:{APP_PORT}/api/console?code={quote(env['CSPGUARD_FUNCTION_KEY'], safe='')}"


def main() -> int:
    children: list[subprocess.Popen[bytes]] = []
    try:
        azurite = start_azurite(blob_port=10000, queue_port=10001, table_port=10002)
    except AzuriteError as exc:
        print(f"make run: {exc} (is another Azurite already using ports 10000-10002?)", file=sys.stderr)
        return 1
    env = local_environment()
    cli = str(Path(sys.executable).with_name("csp-guard"))
    try:
        children.append(subprocess.Popen([cli, "sandbox", "--port", str(SANDBOX_PORT)], env=env,  # noqa: S603
                                         start_new_session=True))
        if not wait_for_port("127.0.0.1", SANDBOX_PORT, 20):
            print("make run: the Partner Center sandbox did not start", file=sys.stderr)
            return 1
        children.append(subprocess.Popen([cli, "serve", "--port", str(APP_PORT)], env=env,  # noqa: S603
                                         start_new_session=True))
        if not wait_for_port("127.0.0.1", APP_PORT, 30):
            print("make run: the development host did not start", file=sys.stderr)
            return 1
        # A demo book for the sandbox's customers, so every collections stage has someone in it.
        subprocess.run([cli, "seed-demo"], env=env, check=False)  # noqa: S603
        print(f"""
csp-guard is running:
  app        http://127.0.0.1:{APP_PORT}/api   (try: curl http://127.0.0.1:{APP_PORT}/api/health)
  sandbox    {env['PARTNER_CENTER_BASE_URL']}   (Partner Center sandbox, demo data)
  Azurite    tables :10002, queues :10001, blobs :10000 (in memory)
  function key for operator routes: {env['CSPGUARD_FUNCTION_KEY']}  (header x-functions-key)
  console    {console_url(env)}
             (the collections desk: the code is traded for a session cookie and dropped from the address)
Ctrl-C stops all of them.
""", flush=True)
        _wait(children)
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        for child in children:
            _stop(child)
        azurite.stop()


def _wait(children: list[subprocess.Popen[bytes]]) -> None:
    stop = False

    def _on_signal(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    while not stop:
        if any(child.poll() is not None for child in children):
            print("make run: a component exited; stopping the rest", file=sys.stderr)
            return
        time.sleep(0.5)


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        os.killpg(child.pid, signal.SIGTERM)
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


if __name__ == "__main__":
    sys.exit(main())
