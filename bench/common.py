"""What the benchmarks share: a private Azurite, timing, and percentile figures."""

from __future__ import annotations

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
