"""Reading settings: each method reads one named setting and refuses a malformed one with a one-line error."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from lib.http_basics import is_loopback_url
from lib.ncrontab import CronError, parse_ncrontab

APP_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A setting is missing or malformed. The message names it."""


class SettingsReader:
    """Reads one setting at a time from the environment; every refusal is a SettingsError naming it."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def optional(self, name: str) -> str | None:
        value = self._env.get(name)
        if value is None or not value.strip():
            return None
        return value.strip()

    def text(self, name: str, default: str) -> str:
        return self.optional(name) or default

    def matching(self, name: str, default: str, pattern: re.Pattern[str], expected: str) -> str:
        value = self.text(name, default)
        if not pattern.match(value):
            raise SettingsError(f"{name}: {value!r} is not {expected}")
        return value

    def optional_matching(self, name: str, pattern: re.Pattern[str], expected: str) -> str | None:
        value = self.optional(name)
        if value is not None and not pattern.match(value):
            raise SettingsError(f"{name}: {value!r} is not {expected}")
        return value

    def url(self, name: str, default: str) -> str:
        value = self.text(name, default).rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(f"{name}: {value!r} is not an http(s) URL")
        if parts.scheme == "http" and not is_loopback_url(value):
            raise SettingsError(f"{name}: plain http is only allowed for loopback addresses; use https")
        return value

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.text(name, default).lower()
        if value not in choices:
            raise SettingsError(f"{name}: {value!r} is not one of {', '.join(choices)}")
        return value

    def integer(self, name: str, default: int, *, minimum: int) -> int:
        raw = self.optional(name)
        if raw is None:
            return default
        try:
            value = int(raw, 10)
        except ValueError:
            raise SettingsError(f"{name}: {raw!r} is not a whole number") from None
        if value < minimum:
            raise SettingsError(f"{name}: {value} is below the minimum {minimum}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        raw = self.optional(name)
        if raw is None:
            return default
        lowered = raw.lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        raise SettingsError(f"{name}: {raw!r} is not true or false")

    def schedule(self, name: str, default: str) -> str:
        value = self.text(name, default)
        try:
            parse_ncrontab(value)
        except CronError as exc:
            raise SettingsError(f"{name}: {exc}") from None
        return value

    def path(self, name: str, default: str) -> Path:
        raw = Path(self.text(name, default))
        path = raw if raw.is_absolute() else APP_ROOT / raw
        if not path.is_file():
            raise SettingsError(f"{name}: no file at {path}")
        return path

    def names(self, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        raw = self.optional(name)
        if raw is None:
            return default
        values = tuple(part.strip() for part in raw.split(",") if part.strip())
        if not values:
            raise SettingsError(f"{name}: give at least one role name")
        return values
