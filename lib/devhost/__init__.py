"""A development host for machines without Azure Functions Core Tools.

It hosts exactly what `function_app.app.get_functions()` registers (HTTP routes under /api with function keys,
timers on their NCRONTAB schedules, queue triggers with host.json's retry and poison rules) and adds nothing the
Functions host lacks: business behaviour lives in the functions, never here.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from lib.app_startup import AppStartupError
from lib.devhost.host_config import HostConfig, load_host_config
from lib.devhost.http_host import FunctionsHttpServer
from lib.devhost.queue_poller import QueuePoller
from lib.devhost.registrations import RegistrationError, Registrations, read_registrations
from lib.devhost.timers import TimerRunner, invoke_timer
from lib.settings import APP_ROOT, Settings
from lib.store.errors import StoreError
from lib.store.queues import MessageQueue
from lib.store.tables import TableStore

log = logging.getLogger("csp_guard.devhost")
STOP_GRACE_SECONDS = 3.0  # `make run` promises to stop within 5 s of Ctrl-C


class StartupError(RuntimeError):
    """The host cannot start; the message is one line saying why."""


def setting_defaults(settings: Settings) -> dict[str, str]:
    """Values for %NAME% references when the environment lacks them (func start reads local.settings.json)."""
    return {
        "SCAN_SCHEDULE": settings.scan_schedule,
        "FRAUD_POLL_SCHEDULE": settings.fraud_poll_schedule,
        "RECONCILE_SCHEDULE": settings.reconcile_schedule,
        "SERVICE_REQUESTS_QUEUE": settings.service_requests_queue,
        "NOTICES_QUEUE": settings.notices.queue,
        "DUE_CUSTOMERS_QUEUE": settings.due_customers_queue,
        "FULL_SWEEP_SCHEDULE": settings.full_sweep_schedule,
    }


def load_registrations(settings: Settings, module: str = "function_app") -> Registrations:
    if str(APP_ROOT) not in sys.path:
        sys.path.insert(0, str(APP_ROOT))
    try:
        app = importlib.import_module(module).app
    except AppStartupError as exc:
        raise StartupError(str(exc)) from exc
    try:
        return read_registrations(app.get_functions(), setting_defaults(settings))
    except RegistrationError as exc:
        raise StartupError(str(exc)) from exc


@dataclass
class RunningHost:
    server: FunctionsHttpServer
    stop_event: threading.Event
    threads: list[threading.Thread]

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Stops listening at once, then gives timers and queue pollers `grace` seconds in all to finish."""
        self.stop_event.set()
        self.server.shutdown()
        self.server.server_close()
        deadline = time.monotonic() + grace
        for thread in self.threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))


def start(settings: Settings, *, host: str, port: int, function_key: str, timers: bool = True,
          queues: bool = True, host_json: Path | None = None) -> RunningHost:
    config: HostConfig = load_host_config(host_json or APP_ROOT / "host.json")
    registrations = load_registrations(settings)
    try:
        TableStore.from_settings(settings.storage, settings.table_prefix).ensure_tables()
        queue_clients = [MessageQueue.from_settings(settings.storage, q.queue_name) for q in registrations.queues]
        for queue in queue_clients:
            queue.ensure()
    except StoreError as exc:
        raise StartupError(f"storage is not reachable ({exc}); is Azurite running?") from exc
    stop_event = threading.Event()
    threads: list[threading.Thread] = []
    try:
        server = FunctionsHttpServer((host, port), registrations.http, function_key)
    except OSError as exc:
        raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    threads.append(threading.Thread(target=server.serve_forever, name="http", daemon=True))
    threads[-1].start()
    if timers:
        threads.extend(TimerRunner(list(registrations.timers), stop_event).start())
    if queues:
        for function, queue in zip(registrations.queues, queue_clients, strict=True):
            threads.append(QueuePoller(function, queue, config.queues, stop_event).start())
    log.info("development host listening on %s (%d http, %d timers%s, %d queues%s)", server.url,
             len(registrations.http), len(registrations.timers), "" if timers else " off",
             len(registrations.queues), "" if queues else " off")
    return RunningHost(server, stop_event, threads)


def serve_until_stopped(running: RunningHost) -> None:
    """Serves until SIGINT or SIGTERM, then stops within STOP_GRACE_SECONDS and ends the process.

    Invocations still running then (a scan's worker pool, a Partner Center call retrying for two minutes, keep-alive
    connections idling in their handler threads) would otherwise hold the interpreter open at exit: the executor's
    threads are joined at exit whatever their work. The Functions host likewise ends a worker that outlives its
    shutdown grace, so the process ends here once the grace is spent.
    """
    stopped = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    stopped.wait()
    running.stop()
    log.info("development host stopped")
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def run_timer_now(settings: Settings, name: str, *, queues: bool = True,
                  host_json: Path | None = None) -> int:
    """Fires one timer in this process, then (unless `queues` is False) runs the queue functions on whatever is
    waiting on their queues until none is left, with host.json's retry and poison rules, as a running host would:
    the daily scan's timer only sends the customers due to the due-customers queue, so without this the command
    would leave the work to a host. Returns how many messages were handled."""
    registrations = load_registrations(settings)
    for timer in registrations.timers:
        if timer.name == name:
            invoke_timer(timer)
            return _drain(settings, registrations, host_json) if queues else 0
    names = ", ".join(t.name for t in registrations.timers) or "none"
    raise StartupError(f"no timer function named {name!r}; registered timers: {names}")


def _drain(settings: Settings, registrations: Registrations, host_json: Path | None) -> int:
    options = load_host_config(host_json or APP_ROOT / "host.json").queues
    pollers = []
    for function in registrations.queues:
        queue = MessageQueue.from_settings(settings.storage, function.queue_name)
        queue.ensure()  # as the host does on start: a queue nothing has written to yet may not exist
        pollers.append(QueuePoller(function, queue, options, threading.Event()))
    handled = 0
    while busy := sum(poller.poll_once() for poller in pollers):  # a failed message waits out its visibility
        handled += busy
    return handled
