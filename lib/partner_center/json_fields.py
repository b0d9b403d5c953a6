"""Reading Partner Center's JSON the way Partner Center writes it.

Partner Center's property names are case-insensitive: the same resource comes back camelCase from a GET
(`"status": "active"`) and PascalCase from the suspend/reactivate PATCH (`"Status": "suspended"`, `"Attributes":
{"Etag": ...}`), and the new fraud-events model writes `"IsTest"` where its own property table says `isTest` (all in
Microsoft's published samples: tests/fixtures/partner_center/). So every model reads its fields through `Fields`,
which ignores case, and a resource that cannot be read raises UnreadableAnswerError, never a KeyError.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from lib.partner_center.errors import UnreadableAnswerError


class Fields:
    """A case-insensitive, read-only view of one JSON object."""

    def __init__(self, data: Any, what: str) -> None:
        if not isinstance(data, Mapping):
            raise UnreadableAnswerError(f"a {what} must be a JSON object, not {type(data).__name__}")
        self.what = what
        self._values = {str(key).lower(): value for key, value in data.items()}

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def get(self, name: str) -> Any:
        return self._values.get(name.lower())

    def text(self, *names: str) -> str:
        """The first of `names` present with a non-empty value, as text ('' when none is)."""
        for name in names:
            value = self.get(name)
            if value not in (None, "") and not isinstance(value, (dict, list)):
                return str(value)
        return ""

    def optional(self, name: str) -> str | None:
        return self.text(name) or None

    def required(self, name: str) -> str:
        value = self.text(name)
        if not value:
            raise UnreadableAnswerError(f"a {self.what} without {name}")
        return value

    def child(self, name: str) -> Fields:
        """A nested object; an absent or null one reads as empty."""
        value = self.get(name)
        return Fields(value if value is not None else {}, f"{self.what}.{name}")

    def objects(self, name: str) -> tuple[dict[str, Any], ...]:
        """A list of objects (other entries are left out); absent or null reads as empty."""
        value = self.get(name)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise UnreadableAnswerError(f"{self.what}.{name} must be a list")
        return tuple(dict(item) for item in value if isinstance(item, Mapping))

    def integer(self, name: str, default: int = 0) -> int:
        value = self.get(name)
        if value in (None, ""):
            return default
        if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().lstrip("-").isdigit():
            raise UnreadableAnswerError(f"{self.what}.{name} is not a whole number: {value!r}")
        return int(value)

    def boolean(self, name: str, default: bool = False) -> bool:
        """JSON true/false, or the text "true"/"false" (the fraud-events sample writes `"IsTest": "false"`)."""
        value = self.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise UnreadableAnswerError(f"{self.what}.{name} is not true or false: {value!r}")


def parse_time(text: str | None) -> datetime | None:
    """A Partner Center time as an aware UTC instant, or None when absent or unreadable.

    Partner Center writes times with an offset ("2017-11-16T16:19:06.3520276+00:00", "...Z") and without one
    ("eventTime": "2021-12-08T00:25:45.69" in the fraud-events sample). A time without an offset is UTC: the API's
    other times are UTC, and the webhook docs call ResourceChangeUtcDate "UTC date-time format". Seven-digit
    fractions (.NET ticks) are cut to Python's six."""
    if not text:
        return None
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
