"""An operator's hold request (`PUT /api/customers/{id}/hold`), checked against what the policy allows."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from datetime import date, datetime

from lib.domain.policy import HOLD_KINDS, CollectionsPolicy, Hold, require_aware


class HoldError(ValueError):
    """A hold an operator asked for that the policy does not allow."""


def parse_hold(data: Mapping[str, object], policy: CollectionsPolicy, as_of: datetime) -> Hold:
    """Validate a hold as `PUT /api/customers/{id}/hold` receives it: {"kind", "until", "note"}."""
    require_aware(as_of)
    unknown = sorted(set(data) - {"kind", "until", "note"})
    if unknown:
        raise HoldError(f"unknown field(s) {', '.join(unknown)}: a hold has kind, until and note")
    kind, until_text, note = data.get("kind"), data.get("until"), data.get("note", "")
    if kind not in HOLD_KINDS:
        raise HoldError(f"kind must be one of {', '.join(HOLD_KINDS)}, got {kind!r}")
    if not isinstance(note, str):
        raise HoldError("note must be a string")
    until: date | None = None
    if isinstance(until_text, str) and len(until_text) == 10:
        with suppress(ValueError):
            until = date.fromisoformat(until_text)
    if until is None:
        raise HoldError(f"until must be a date as YYYY-MM-DD, got {until_text!r}")
    today = as_of.astimezone(policy.zone).date()
    limit = (
        policy.holds.promise_to_pay_max_days if kind == "promise_to_pay" else policy.holds.exemption_max_days
    )
    if until < today:
        raise HoldError(f"until {until.isoformat()} is in the past (today is {today.isoformat()} local time)")
    if (until - today).days > limit:
        raise HoldError(f"a {kind} hold may last at most {limit} days from today ({today.isoformat()})")
    return Hold(kind="exemption" if kind == "exemption" else "promise_to_pay", until=until, note=note)
