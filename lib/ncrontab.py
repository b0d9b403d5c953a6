"""NCRONTAB schedules as Azure Functions timers read them: six fields, seconds first, evaluated in UTC.

`{second} {minute} {hour} {day} {month} {day-of-week}`; each field takes `*`, numbers, ranges `a-b`, steps `*/n`
and `a-b/n`, and comma lists; months and weekdays also take three-letter names. Like NCrontab, a day must match
both the day-of-month and the day-of-week fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
_FIELDS = (
    ("second", 0, 59, None),
    ("minute", 0, 59, None),
    ("hour", 0, 23, None),
    ("day", 1, 31, None),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 0, 6, _DAYS),
)
_SEARCH_DAYS = 366 * 28  # "0 0 0 29 2 MON" can take decades; the weekday calendar repeats in 28 years


class CronError(ValueError):
    """The expression is not a valid six-field NCRONTAB schedule."""


@dataclass(frozen=True)
class Schedule:
    expression: str
    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday

    def next_after(self, moment: datetime) -> datetime:
        """The first occurrence strictly after `moment` (aware), in UTC."""
        if moment.tzinfo is None:
            raise ValueError("moment must be timezone-aware")
        start = moment.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
        day = start.replace(hour=0, minute=0, second=0)
        for _ in range(_SEARCH_DAYS):
            if self._day_matches(day):
                found = self._first_time_on(day, start if day.date() == start.date() else None)
                if found is not None:
                    return found
            day += timedelta(days=1)
        raise CronError(f"{self.expression!r} never occurs")

    def _day_matches(self, day: datetime) -> bool:
        weekday = (day.weekday() + 1) % 7  # Python's Monday=0 -> cron's Sunday=0
        return day.month in self.months and day.day in self.days and weekday in self.weekdays

    def _first_time_on(self, day: datetime, not_before: datetime | None) -> datetime | None:
        for hour in self.hours:
            for minute in self.minutes:
                for second in self.seconds:
                    candidate = day.replace(hour=hour, minute=minute, second=second)
                    if not_before is None or candidate >= not_before:
                        return candidate
        return None


def parse_ncrontab(expression: str) -> Schedule:
    parts = expression.split()
    if len(parts) != 6:
        raise CronError(
            f"{expression!r} has {len(parts)} fields; NCRONTAB needs 6: second minute hour day month day-of-week"
        )
    values = [_parse_field(text, *spec) for text, spec in zip(parts, _FIELDS, strict=True)]
    return Schedule(
        expression=expression,
        seconds=tuple(sorted(values[0])),
        minutes=tuple(sorted(values[1])),
        hours=tuple(sorted(values[2])),
        days=frozenset(values[3]),
        months=frozenset(values[4]),
        weekdays=frozenset(v % 7 for v in values[5]),
    )


def _parse_field(text: str, name: str, low: int, high: int, names: list[str] | None) -> set[int]:
    result: set[int] = set()
    top = 7 if name == "day-of-week" else high  # 7 is also Sunday, as in cron
    for item in text.split(","):
        if not item:
            raise CronError(f"{name} field {text!r} has an empty list item")
        base, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f"{name} field {text!r}: step must be a positive number")
            step = int(step_text)
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _value(first, name, low, top, names), _value(last, name, low, top, names)
            if start > end:
                raise CronError(f"{name} field {text!r}: range {base} runs backwards")
        else:
            start = _value(base, name, low, top, names)
            end = top if step_text else start
        result.update(range(start, end + 1, step))
    return result


def _value(text: str, name: str, low: int, high: int, names: list[str] | None) -> int:
    if names is not None and text.upper() in names:
        index = names.index(text.upper())
        return index + 1 if name == "month" else index
    if not text.isdigit():
        raise CronError(f"{name} value {text!r} is not a number")
    value = int(text)
    if not low <= value <= high:
        raise CronError(f"{name} value {value} is outside {low}-{high}")
    return value
