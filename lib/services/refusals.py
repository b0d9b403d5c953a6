"""A use case's refusal of what an operator asked: it carries its own HTTP status, problem slug and field, so the
JSON routes and the console map every refusal the same way (lib/web/endpoint.py), with no table to keep in step."""

from __future__ import annotations


class Refusal(ValueError):
    status = 400
    problem = "invalid-request"
    field: str | None = None
