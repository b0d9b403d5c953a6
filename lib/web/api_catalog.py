"""What each HTTP route does, for the OpenAPI document. A test keeps this in step with the registrations.

Each entry: (method, route as registered, operation id, summary, auth, request schema or None, responses).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PROBLEM = {"$ref": "#/components/schemas/Problem"}


@dataclass(frozen=True)
class Operation:
    method: str
    route: str
    operation_id: str
    summary: str
    auth: str  # anonymous | operator | signature
    request: dict[str, Any] | None = None
    responses: dict[str, str] = field(default_factory=dict)
    response_schema: dict[str, Any] | None = None
    query: tuple[tuple[str, str], ...] = ()  # (name, description)


HEALTH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["status", "version", "checks", "timers"],
    "properties": {
        "status": {"enum": ["ok", "degraded", "unhealthy"]},
        "version": {"type": "string"},
        "checks": {"type": "object", "additionalProperties": {"type": "object"}},
        "timers": {"type": "object", "additionalProperties": {"type": ["object", "null"]}},
    },
}

OPERATIONS: list[Operation] = [
    Operation("GET", "health", "getHealth", "Storage and Partner Center reachability, last run of each timer",
              "anonymous", responses={"200": "healthy or degraded", "503": "a dependency is down"},
              response_schema=HEALTH_SCHEMA),
    Operation("GET", "openapi.json", "getOpenApi", "This document", "anonymous", responses={"200": "OpenAPI 3.1"}),
]
