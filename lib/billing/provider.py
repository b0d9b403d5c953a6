"""The port every billing provider adapter implements: verify a webhook delivery, then map it to a BillingEvent.

Errors map to HTTP statuses in one place (functions/): `SignatureError` and `StaleTimestampError` → 401,
`EventValidationError` (from lib.domain.events) → 400, `UnknownProviderError` (registry) → 404. A
`WebhookSecretError` is our configuration's fault, not the caller's → 500.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

from lib.domain.event_fields import EventValidationError
from lib.domain.events import BillingEvent


class WebhookAuthError(Exception):
    """A delivery we must not trust (401)."""


class SignatureError(WebhookAuthError):
    """Missing, malformed or non-matching signature."""


class StaleTimestampError(WebhookAuthError):
    """A correctly signed delivery whose timestamp is outside the tolerance window: a replay, or a bad clock."""


class WebhookSecretError(ValueError):
    """A configured secret that cannot be used (e.g. not `whsec_<base64>`)."""


class WebhookProvider(Protocol):
    name: str

    def verify(
        self,
        headers: Mapping[str, str],
        body: bytes,
        secrets: Sequence[str],
        tolerance_seconds: int,
        now: datetime,
    ) -> None:
        """Return if some presented signature matches some secret and the timestamp is within tolerance of
        `now` (either side); raise `SignatureError` / `StaleTimestampError` otherwise."""
        ...

    def parse(self, headers: Mapping[str, str], body: bytes) -> BillingEvent:
        """The canonical event of a verified delivery; raises `EventValidationError`."""
        ...


Key = TypeVar("Key")


def verified_by_any(keys: Sequence[Key], verifies: Callable[[Key], bool]) -> bool:
    """Secret rotation, for every channel: true when any configured key verifies the delivery. Every key is tried,
    so the time taken does not tell which one matched."""
    results = [verifies(key) for key in keys]
    return any(results)


def check_tolerance(signed_at: datetime, now: datetime, tolerance_seconds: int) -> None:
    """The replay window, for every channel. Pass the timestamp the verified signature covers, never another
    reading of the header (issue 12: a second `t=` once let a month-old Stripe signature through)."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    window = timedelta(seconds=tolerance_seconds)
    if signed_at < now - window:
        raise StaleTimestampError(
            f"timestamp {signed_at.isoformat()} is more than {tolerance_seconds}s old"
        )
    if signed_at > now + window:
        raise StaleTimestampError(
            f"timestamp {signed_at.isoformat()} is more than {tolerance_seconds}s in the future"
        )


def unix_time(value: str, what: str) -> datetime:
    """Integer Unix seconds from a header, as an aware UTC datetime."""
    text = value.strip()
    # int() also takes "+1", "1_000" and non-ASCII digits; a signed timestamp is plain ASCII digits, so anything
    # else is refused rather than read one way here and another way by the signer.
    if not (text.isascii() and text.isdigit()):
        raise SignatureError(f"{what} is not integer Unix seconds: {value!r}")
    try:
        return datetime.fromtimestamp(int(text), tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise SignatureError(f"{what} is not integer Unix seconds: {value!r}") from None


def json_object(body: bytes) -> dict[str, object]:
    try:
        parsed = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise EventValidationError("body", f"is not JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise EventValidationError("body", "must be a JSON object")
    return parsed


def event_type_field(value: object, path: str) -> str:
    """A provider's event type as sent: any non-empty string (types we do not map are acknowledged, not refused)."""
    if not isinstance(value, str) or not value:
        raise EventValidationError(path, f"must be a non-empty string, got {value!r}")
    return value
