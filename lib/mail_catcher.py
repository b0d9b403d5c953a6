"""Starts MailDev (from the repo's node_modules; 2.2.1 needs Node >= 18, so it runs on Node 20) as the local mail
catcher for `make run`: it accepts every message on its SMTP port and shows them in a web inbox."""

from __future__ import annotations

import socket
import subprocess
from dataclasses import dataclass

from lib.azurite_process import free_port, stop_process_group, wait_for_port
from lib.settings import APP_ROOT


class MailCatcherError(RuntimeError):
    pass


@dataclass
class MailCatcher:
    process: subprocess.Popen[bytes]
    host: str
    smtp_port: int
    web_port: int

    @property
    def inbox_url(self) -> str:
        return f"http://{self.host}:{self.web_port}"

    def settings(self) -> dict[str, str]:
        """What points the app's notices at the catcher (no TLS: it listens on loopback only)."""
        return {"NOTICES_MODE": "send", "SMTP_HOST": self.host, "SMTP_PORT": str(self.smtp_port),
                "SMTP_SECURITY": "none", "NOTICE_FROM": "账单中心 Billing <billing@csp-partner.example.cn>",
                "NOTICE_REPLY_TO": "ar@csp-partner.example.cn"}

    def stop(self) -> None:
        stop_process_group(self.process)


def start_maildev(host: str = "127.0.0.1", smtp_port: int | None = None, web_port: int | None = None,
                  timeout: float = 30.0) -> MailCatcher:
    binary = APP_ROOT / "node_modules" / ".bin" / "maildev"
    if not binary.exists():
        raise MailCatcherError(f"{binary} is missing; run `make install` (npm install) first")
    smtp, web = smtp_port or free_port(), web_port or free_port()
    # A port already answering would pass the readiness check below although our MailDev could not bind it, and
    # the notices would go to whatever holds it.
    taken = [port for port in (smtp, web) if _answers(host, port)]
    if taken:
        raise MailCatcherError(f"port {', '.join(map(str, taken))} on {host} is already in use (another MailDev?)")
    command = [str(binary), "--smtp", str(smtp), "--web", str(web), "--ip", host, "--web-ip", host, "--silent"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,  # noqa: S603
                               start_new_session=True)
    catcher = MailCatcher(process, host, smtp, web)
    if not (wait_for_port(host, smtp, timeout, process) and wait_for_port(host, web, timeout, process)):
        error = process.stderr.read() if process.poll() is not None and process.stderr is not None else b""
        catcher.stop()
        raise MailCatcherError(f"MailDev did not start on ports {smtp}/{web}: {error.decode(errors='replace')[:300]}")
    return catcher


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False
