"""Partner Center's error shape ({"code", "description", "data", "source"}) and the sandbox's error codes."""

from __future__ import annotations

from typing import Any

NOT_FOUND, INVALID_INPUT, INVALID_PROPERTY, PRECONDITION_FAILED = 1000, 2000, 3000, 412


class ApiError(Exception):
    def __init__(self, status: int, code: int, description: str) -> None:
        super().__init__(description)
        self.status, self.code, self.description = status, code, description


def error_body(code: int, description: str) -> dict[str, Any]:
    return {"code": code, "description": description, "data": [], "source": "PartnerFD"}
