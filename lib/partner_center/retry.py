"""How the Partner Center client retries: named settings, a named set of retryable statuses, Retry-After honoured
whether it holds seconds or an HTTP date, exponential back-off with jitter, bounded in count and in total time."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    total: int = 5  # retries after the first attempt
    backoff_factor: float = 0.5  # seconds; doubled each retry
    backoff_max: float = 30.0  # no single wait is longer, a Retry-After included
    timeout: float = 120.0  # overall budget for one logical call, its retries and waits included
    connect_timeout: float = 5.0
    read_timeout: float = 60.0

    def backoff(self, retry_number: int, rng: random.Random | None = None) -> float:
        """Exponential with jitter: a random wait between half and all of factor * 2^(n-1), capped."""
        ceiling = min(self.backoff_max, self.backoff_factor * (2 ** max(retry_number - 1, 0)))
        return (rng or random).uniform(ceiling / 2, ceiling)

    def pause(self, retry_number: int, retry_after: float | None, rng: random.Random | None = None) -> float:
        """The wait before retry `retry_number`: the server's Retry-After when it sent one, else back-off;
        never more than backoff_max. (Whether the wait still fits the overall timeout is the caller's check.)"""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.backoff_max)
        return self.backoff(retry_number, rng)

    def attempt_timeout(self, remaining: float) -> tuple[float, float]:
        """(connect, read) timeouts for one attempt, shortened so that the attempt cannot outlive the budget."""
        floor = 0.001  # requests treats 0 as "no timeout"
        return max(min(self.connect_timeout, remaining), floor), max(min(self.read_timeout, remaining), floor)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds (`120`) or an HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`); None if absent/bad."""
    if not value:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():  # isdigit() alone accepts superscripts that float() refuses
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
