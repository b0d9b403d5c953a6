"""Fires timer functions on their NCRONTAB schedules (UTC, as the host does without WEBSITE_TIME_ZONE)."""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from azure.functions.timer import TimerRequest

from lib.devhost.registrations import TimerFunction
from lib.ncrontab import parse_ncrontab

log = logging.getLogger("csp_guard.devhost")


def invoke_timer(timer: TimerFunction, *, past_due: bool = False) -> None:
    schedule = parse_ncrontab(timer.schedule)
    now = datetime.now(UTC)
    request = TimerRequest(
        past_due=past_due,
        schedule_status={"Last": now.isoformat(), "Next": schedule.next_after(now).isoformat(),
                         "LastUpdated": now.isoformat()},
        schedule={"AdjustForDST": False},
    )
    result = timer.handler(**{timer.arg_name: request})
    if inspect.isawaitable(result):
        asyncio.run(_await(result))


async def _await(awaitable: object) -> None:
    await awaitable  # type: ignore[misc]


class TimerRunner:
    def __init__(self, timers: list[TimerFunction], stop: threading.Event,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._timers = timers
        self._stop = stop
        self._clock = clock

    def start(self) -> list[threading.Thread]:
        threads = []
        for timer in self._timers:
            thread = threading.Thread(target=self._loop, args=(timer,), name=f"timer:{timer.name}", daemon=True)
            thread.start()
            threads.append(thread)
        return threads

    def _loop(self, timer: TimerFunction) -> None:
        schedule = parse_ncrontab(timer.schedule)
        if timer.run_on_startup:
            self._fire(timer)
        while not self._stop.is_set():
            due = schedule.next_after(self._clock())
            log.info("timer %s next at %s", timer.name, due.isoformat())
            while not self._stop.is_set():
                remaining = (due - self._clock()).total_seconds()
                if remaining <= 0:
                    break
                self._stop.wait(min(remaining, 30.0))
            if self._stop.is_set():
                return
            self._fire(timer)

    def _fire(self, timer: TimerFunction) -> None:
        try:
            invoke_timer(timer)
        except Exception:
            log.exception("timer %s failed", timer.name)
