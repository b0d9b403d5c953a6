"""`make run`: Azurite (in memory), the Partner Center sandbox with demo data, the MailDev mail catcher, and the app
on the development host, which mails customer notices to the catcher (NOTICES_MODE=send).

Settings already in the environment win over the local defaults. Ctrl-C stops them all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from lib.azurite_process import AzuriteError, connection_string, start_azurite, stop_process_group, wait_for_port
from lib.mail_catcher import MailCatcher, MailCatcherError, start_maildev

APP_PORT = int(os.environ.get("CSPGUARD_PORT", "7071"))
SANDBOX_PORT = int(os.environ.get("SANDBOX_PORT", "7081"))
MAIL_SMTP_PORT = int(os.environ.get("MAILDEV_SMTP_PORT", "1025"))
MAIL_WEB_PORT = int(os.environ.get("MAILDEV_WEB_PORT", "1080"))
DEV_FUNCTION_KEY = "local-dev-key"  # only ever accepted by the local development host


def local_environment(mail: MailCatcher | None = None) -> dict[str, str]:
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
    if mail is not None:
        defaults.update(mail.settings())
    for name, value in defaults.items():
        env.setdefault(name, value)
    return env


def main() -> int:
    children: list[subprocess.Popen[bytes]] = []
    try:
        azurite = start_azurite(blob_port=10000, queue_port=10001, table_port=10002)
    except AzuriteError as exc:
        print(f"make run: {exc} (is another Azurite already using ports 10000-10002?)", file=sys.stderr)
        return 1
    try:
        mail: MailCatcher | None = start_maildev(smtp_port=MAIL_SMTP_PORT, web_port=MAIL_WEB_PORT)
    except MailCatcherError as exc:
        print(f"make run: {exc} (notices are recorded, not mailed)", file=sys.stderr)
        mail = None
    env = local_environment(mail)
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
        # One scan now, so the demo book's reminders, final notices and notices before suspension reach the inbox.
        subprocess.run([cli, "scan"], env=env, check=False, stdout=subprocess.DEVNULL)  # noqa: S603
        inbox = f"{mail.inbox_url}   (MailDev: the notices mailed to the demo customers)" if mail else \
            "not running (notices are recorded only)"
        print(f"""
csp-guard is running:
  app        http://127.0.0.1:{APP_PORT}/api   (try: curl http://127.0.0.1:{APP_PORT}/api/health)
  sandbox    {env['PARTNER_CENTER_BASE_URL']}   (Partner Center sandbox, demo data)
  Azurite    tables :10002, queues :10001, blobs :10000 (in memory)
  inbox      {inbox}
  function key for operator routes: {env['CSPGUARD_FUNCTION_KEY']}  (header x-functions-key)
Ctrl-C stops all of them.
""", flush=True)
        _wait(children)
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        for child in children:
            stop_process_group(child)
        if mail is not None:
            mail.stop()
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


if __name__ == "__main__":
    sys.exit(main())
