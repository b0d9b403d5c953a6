"""`make run`: Azurite (in memory), the Partner Center sandbox with demo data, the MailDev mail catcher, and the app
on the development host, which mails customer notices to the catcher (NOTICES_MODE=send).

Settings already in the environment win over the local defaults. Ctrl-C stops them all within 5 seconds, whatever
they are doing (starting, serving a burst of keep-alive requests, waiting on a slow Partner Center).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from lib.azurite_process import AzuriteError, connection_string, start_azurite, wait_for_port
from lib.http_basics import is_loopback_url
from lib.mail_catcher import MailCatcher, MailCatcherError, start_maildev

APP_PORT = int(os.environ.get("CSPGUARD_PORT", "7071"))
SANDBOX_PORT = int(os.environ.get("SANDBOX_PORT", "7081"))
MAIL_SMTP_PORT = int(os.environ.get("MAILDEV_SMTP_PORT", "1025"))
MAIL_WEB_PORT = int(os.environ.get("MAILDEV_WEB_PORT", "1080"))
# Azurite's usual ports; a test of `make run` itself moves them aside.
AZURITE_PORTS = tuple(int(os.environ.get(f"AZURITE_{kind}_PORT", str(port)))
                      for kind, port in (("BLOB", 10000), ("QUEUE", 10001), ("TABLE", 10002)))
STOP_SECONDS = 4.0  # Ctrl-C to exit within 5 s: every component gets SIGTERM at once, then SIGKILL
DEV_FUNCTION_KEY = "local-dev-key"  # only ever accepted by the local development host


def local_environment(mail: MailCatcher | None = None) -> dict[str, str]:
    env = dict(os.environ)
    defaults = {
        "AzureWebJobsStorage": connection_string("127.0.0.1", *AZURITE_PORTS),
        "PARTNER_CENTER_BASE_URL": f"http://127.0.0.1:{SANDBOX_PORT}",
        "PARTNER_CENTER_STATIC_TOKEN": "sandbox-token",
        "CSPGUARD_FUNCTION_KEY": DEV_FUNCTION_KEY,
        "ENFORCEMENT_MODE": "enforce",
        # The sandbox signs its Partner Center webhook deliveries with its own certificate.
        "PARTNER_CENTER_WEBHOOK_CERT_HOSTS": f"127.0.0.1:{SANDBOX_PORT}",
        "PARTNER_CENTER_WEBHOOK_CERT_ORG": "csp-guard sandbox",
        "WEBHOOK_SECRET_STANDARD": "whsec_" + "bG9jYWwtZGV2LXNlY3JldC1mb3ItY3NwLWd1YXJk",
        # Demos replay a collections timeline with POST /api/scan?as_of=<a later day>.
        "ALLOW_FUTURE_AS_OF": "true",
    }
    if mail is not None:
        defaults.update(mail.settings())
    for name, value in defaults.items():
        env.setdefault(name, value)
    return env


def console_url(env: dict[str, str]) -> str:
    return f"http://127.0.0.1:{APP_PORT}/api/console?code={quote(env['CSPGUARD_FUNCTION_KEY'], safe='')}"


def main() -> int:
    # Ctrl-C (SIGINT) and SIGTERM interrupt whatever is running, starting or waiting, alike.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    children: list[subprocess.Popen[bytes]] = []
    try:
        azurite = start_azurite(blob_port=AZURITE_PORTS[0], queue_port=AZURITE_PORTS[1], table_port=AZURITE_PORTS[2])
    except AzuriteError as exc:
        ports = ", ".join(str(port) for port in AZURITE_PORTS)
        print(f"make run: {exc} (is another Azurite already using ports {ports}?)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0  # start_azurite stops the Azurite it was starting
    mail: MailCatcher | None = None
    cli = str(Path(sys.executable).with_name("csp-guard"))
    try:
        try:
            mail = start_maildev(smtp_port=MAIL_SMTP_PORT, web_port=MAIL_WEB_PORT)
        except MailCatcherError as exc:
            print(f"make run: {exc} (notices are recorded, not mailed)", file=sys.stderr)
        env = local_environment(mail)
        children.append(subprocess.Popen([cli, "sandbox", "--port", str(SANDBOX_PORT)], env=env,  # noqa: S603
                                         start_new_session=True))
        if not wait_for_port("127.0.0.1", SANDBOX_PORT, 20):
            print("make run: the Partner Center sandbox did not start", file=sys.stderr)
            return 1
        _trust_sandbox_ca(env)
        children.append(subprocess.Popen([cli, "serve", "--port", str(APP_PORT)], env=env,  # noqa: S603
                                         start_new_session=True))
        if not wait_for_port("127.0.0.1", APP_PORT, 30):
            print("make run: the development host did not start", file=sys.stderr)
            return 1
        # A demo book for the sandbox's customers, so every collections stage has someone in it.
        subprocess.run([cli, "seed-demo"], env=env, check=False)  # noqa: S603
        # One scan now, so the demo book's reminders, final notices and notices before suspension reach the inbox.
        subprocess.run([cli, "scan"], env=env, check=False, stdout=subprocess.DEVNULL)  # noqa: S603
        inbox = f"{mail.inbox_url}   (MailDev: the notices mailed to the demo customers)" if mail else \
            "not running (notices are recorded only)"
        print(f"""
csp-guard is running:
  app        http://127.0.0.1:{APP_PORT}/api   (try: curl http://127.0.0.1:{APP_PORT}/api/health)
  sandbox    {env['PARTNER_CENTER_BASE_URL']}   (Partner Center sandbox, demo data)
  Azurite    tables :{AZURITE_PORTS[2]}, queues :{AZURITE_PORTS[1]}, blobs :{AZURITE_PORTS[0]} (in memory)
  inbox      {inbox}
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
        # A second Ctrl-C must not cut the clean-up short; it is bounded by STOP_SECONDS anyway.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_all([*children, *([mail.process] if mail else []), azurite.process], STOP_SECONDS)
        azurite.stop()  # already exited: this only removes its working directory


def _trust_sandbox_ca(env: dict[str, str]) -> None:
    """The sandbox signs its webhook deliveries with a leaf of its own test CA, made at its start: the app trusts
    that CA through PARTNER_CENTER_WEBHOOK_CA_BUNDLE (settings refuse it unless Partner Center is loopback)."""
    if env.get("PARTNER_CENTER_WEBHOOK_CA_BUNDLE") or not is_loopback_url(env["PARTNER_CENTER_BASE_URL"]):
        return
    import requests

    pem = requests.get(f"{env['PARTNER_CENTER_BASE_URL']}/_sandbox/cert/ca.pem", timeout=10).content
    path = Path(tempfile.gettempdir()) / f"csp-guard-sandbox-ca-{SANDBOX_PORT}.pem"
    path.write_bytes(pem)
    env["PARTNER_CENTER_WEBHOOK_CA_BUNDLE"] = str(path)


def _wait(children: list[subprocess.Popen[bytes]]) -> None:
    while True:
        if any(child.poll() is not None for child in children):
            print("make run: a component exited; stopping the rest", file=sys.stderr)
            return
        time.sleep(0.5)


def stop_all(processes: list[subprocess.Popen[bytes]], seconds: float) -> None:
    """SIGTERM to every process group at once, SIGKILL to whatever is still there after `seconds`."""
    running = [p for p in processes if p.poll() is None]
    for process in running:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    for process in running:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


if __name__ == "__main__":
    sys.exit(main())
