"""Checks for the fields of a billing event, shared by the canonical parser and the provider adapters.

Each returns the value in its stored form or raises EventValidationError naming the field by its dotted path,
which the webhook turns into a 400 problem and the CSV import into a line-and-field message.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from lib.domain.money import MoneyError, check_amount, check_currency

MAX_AMOUNT = 10**15  # minor units; far above any real invoice, well inside Table Storage's Int64
MAX_ID_LENGTH = 200
# Table Storage refuses these characters in a RowKey, and our row keys embed the ids.
_KEY_UNSAFE = re.compile(r"[/\\#?\x00-\x1f\x7f-\x9f]")
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


class EventValidationError(ValueError):
    """A body that is not a valid billing event; `field` is the dotted path of the offending value."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def id_field(value: object, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise EventValidationError(field, f"must be a non-empty string, got {value!r}")
    if len(value) > MAX_ID_LENGTH:
        raise EventValidationError(field, f"is longer than {MAX_ID_LENGTH} characters")
    if _KEY_UNSAFE.search(value):
        raise EventValidationError(field, "must not contain '/', '\\', '#', '?' or control characters")
    return value


def customer_id_field(value: object, field: str) -> str:
    """A Partner Center customer tenant id: a GUID, normalised to lower case."""
    if isinstance(value, str) and _GUID.match(value.lower()):
        return value.lower()
    raise EventValidationError(
        field, f"must be the Partner Center customer tenant id, a GUID like "
        f"'0f9b3a4e-8c1d-4b2a-9e7f-1a2b3c4d5e6f', got {value!r}"
    )


def customer_id_or_none(value: object) -> str | None:
    """The customer tenant id when the value is one, else None (for events we acknowledge without recording)."""
    return value.lower() if isinstance(value, str) and _GUID.match(value.lower()) else None


def amount_field(value: object, field: str) -> int:
    try:
        amount = check_amount(value)
    except MoneyError as exc:
        raise EventValidationError(field, str(exc)) from None
    if amount > MAX_AMOUNT:
        raise EventValidationError(field, f"amount {amount} is larger than {MAX_AMOUNT}")
    return amount


def currency_field(value: object, field: str) -> str:
    try:
        return check_currency(value)
    except MoneyError as exc:
        raise EventValidationError(field, str(exc)) from None


def timestamp_field(value: object, field: str) -> datetime:
    """An ISO-8601 string with a UTC offset, returned in UTC."""
    if not isinstance(value, str):
        raise EventValidationError(field, f"must be an ISO-8601 timestamp string, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise EventValidationError(field, f"is not an ISO-8601 timestamp: {value!r}") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise EventValidationError(field, f"needs a UTC offset such as 'Z' or '+08:00': {value!r}")
    return parsed.astimezone(UTC)
