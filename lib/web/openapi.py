"""Builds the OpenAPI 3.1 document from the route catalog."""

from __future__ import annotations

import re
from typing import Any

from lib.web.api_catalog import OPERATIONS, PROBLEM, Operation

_PARAM = re.compile(r"\{\*?([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\??\}")


def openapi_path(route: str) -> str:
    return "/api/" + _PARAM.sub(lambda m: "{" + m.group(1) + "}", route)


def build_openapi(version: str, operations: list[Operation] | None = None) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for op in operations or OPERATIONS:
        path = openapi_path(op.route)
        paths.setdefault(path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {"title": "csp-guard", "version": version,
                 "description": "Collections, fraud and suspension controls for a CSP partner of Partner Center "
                                "operated by 21Vianet."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": {"Problem": {
                "type": "object", "description": "RFC 9457 problem details",
                "required": ["type", "title", "status", "detail"],
                "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                               "status": {"type": "integer"}, "detail": {"type": "string"},
                               "instance": {"type": "string"}, "correlation_id": {"type": "string"}},
            }},
            "securitySchemes": {
                "functionKey": {"type": "apiKey", "in": "header", "name": "x-functions-key"},
                "webhookSignature": {"type": "apiKey", "in": "header", "name": "webhook-signature"},
            },
        },
    }


def _operation(op: Operation) -> dict[str, Any]:
    result: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary}
    params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
              for name in _PARAM.findall(op.route)]
    params += [{"name": name, "in": "query", "required": False, "description": text, "schema": {"type": "string"}}
               for name, text in op.query]
    if params:
        result["parameters"] = params
    if op.auth == "operator":
        result["security"] = [{"functionKey": []}]
    elif op.auth == "signature":
        result["security"] = [{"webhookSignature": []}]
    else:
        result["security"] = []
    if op.request is not None:
        result["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.request}}}
    responses: dict[str, Any] = {}
    for status, text in (op.responses or {"200": "OK"}).items():
        if status.startswith("2"):
            entry: dict[str, Any] = {"description": text}
            if op.response_schema is not None and status == "200":
                entry["content"] = {"application/json": {"schema": op.response_schema}}
            responses[status] = entry
        else:
            responses[status] = {"description": text,
                                 "content": {"application/problem+json": {"schema": PROBLEM}}}
    result["responses"] = responses
    return result
