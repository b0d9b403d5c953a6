"""Anonymous routes: health, the OpenAPI document, and the problem+json answer for unknown routes."""

from __future__ import annotations

import azure.functions as func

from lib.services.health_check import check_health
from lib.settings import get_settings
from lib.version import version
from lib.web.endpoint import public_endpoint
from lib.web.openapi import build_openapi
from lib.web.problems import ProblemError, json_response

bp = func.Blueprint()


@bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@public_endpoint
def health(req: func.HttpRequest) -> func.HttpResponse:
    report = check_health(get_settings())
    return json_response(report.as_json(), status=503 if report.status == "unhealthy" else 200)


@bp.route(route="openapi.json", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@public_endpoint
def openapi(req: func.HttpRequest) -> func.HttpResponse:
    return json_response(build_openapi(version()))


# Routing gives literal segments precedence over a catch-all, so this only answers what no other route matches.
@bp.route(route="{*path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH"],
          auth_level=func.AuthLevel.ANONYMOUS)
@public_endpoint
def not_found(req: func.HttpRequest) -> func.HttpResponse:
    raise ProblemError(404, f"no route {req.method} {req.route_params.get('path', '')!r}; see /api/openapi.json",
                       problem="no-such-route")
