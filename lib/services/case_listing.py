"""Operators' list of fraud and misuse cases, filtered by status."""

from __future__ import annotations

from typing import Any

from lib.store.cases import CASE_STATUSES, Cases


class UnknownCaseStatus(ValueError):
    """A status filter that is not one of the case statuses."""


def list_cases(cases: Cases, status: str | None) -> list[dict[str, Any]]:
    if status is not None and status not in CASE_STATUSES:
        raise UnknownCaseStatus(f"status must be one of {', '.join(CASE_STATUSES)}")
    return [case.as_json() for case in cases.list(status=status)]
