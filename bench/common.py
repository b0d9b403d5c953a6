"""What the benchmarks share: a private Azurite, timing, and percentile figures."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Figures:
    label: str
    count: int
    seconds: float
    latencies_ms: list[float]

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def line(self) -> str:
        mean = statistics.fmean(self.latencies_ms) if self.latencies_ms else 0.0
        return (f"{self.label:<34} {self.count:>7} in {self.seconds:7.2f} s = {self.per_second:8.1f}/s   "
                f"p50 {self.percentile(50):7.1f} ms  p99 {self.percentile(99):7.1f} ms  mean {mean:6.1f} ms")


def timed_concurrently(label: str, items: Iterable[T], work: Callable[[T], object], workers: int) -> Figures:
    latencies: list[float] = []

    def one(item: T) -> None:
        started = time.perf_counter()
        work(item)
        latencies.append((time.perf_counter() - started) * 1000)

    materialised = list(items)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(one, materialised):
            pass
    return Figures(label, len(materialised), time.perf_counter() - started, latencies)


def cpu_seconds(pid: int | None = None) -> float | None:
    """CPU time (user + system) a process has used so far, from /proc; None where /proc is not there."""
    if pid is None:
        return time.process_time()
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class CpuMeter:
    """CPU used by named processes between start() and stop(), in ms per unit of work."""

    pids: dict[str, int | None]
    started: dict[str, float | None] | None = None
    used: dict[str, float | None] | None = None

    def start(self) -> None:
        self.started = {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    def stop(self) -> None:
        assert self.started is not None
        now = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        self.used = {}
        for name, before in self.started.items():
            after = now[name]
            self.used[name] = after - before if after is not None and before is not None else None

    def ms_per_unit(self, name: str, units: int) -> float | None:
        assert self.used is not None
        seconds = self.used.get(name)
        return seconds / units * 1000 if seconds is not None and units else None

    def per_unit(self, units: int) -> str:
        assert self.used is not None
        figures = {name: self.ms_per_unit(name, units) for name in self.used}
        return ", ".join(f"{name} {ms:.2f}" for name, ms in figures.items() if ms is not None)
