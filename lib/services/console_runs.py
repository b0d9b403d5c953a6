"""What the jobs did lately, for the console's runs page: the last runs of each job, newest first, with their counts
flattened to one line of `name value` pairs (a nested count such as `withheld` gives `withheld.cap`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lib.store.runs import RunLog, RunSummary

# The daily scan's timer and the queue function acting for it first: what an operator asks about after a night.
JOBS = ("delinquency_scan", "act_on_due_customers", "full_sweep", "fraud_events_poll", "reconcile")
PER_JOB = 10
_LEFT_OUT = {"changes", "error_messages", "missed_customers", "late_customers"}  # long lists: the JSON has them


@dataclass(frozen=True)
class JobRuns:
    job: str
    runs: list[RunSummary]


def recent_runs(runs: RunLog, jobs: tuple[str, ...] = JOBS, limit: int = PER_JOB) -> list[JobRuns]:
    return [JobRuns(job, runs.recent(job, limit)) for job in jobs]


def count_items(counts: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(name, value) for every count worth a glance, nested ones one level deep; empty and zero ones left out."""
    items: list[tuple[str, str]] = []
    for name, value in sorted(counts.items()):
        if name in _LEFT_OUT:
            continue
        if isinstance(value, Mapping):
            items.extend((f"{name}.{inner}", _text(v)) for inner, v in sorted(value.items()) if _shown(v))
        elif _shown(value):
            items.append((name, _text(value)))
    return items


def _shown(value: Any) -> bool:
    return value not in (None, "", 0, 0.0, [], {}) and not isinstance(value, (list, Mapping))


def _text(value: Any) -> str:
    return "true" if value is True else str(value)
