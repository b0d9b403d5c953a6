"""Health (anonymous), its details for operators (status), and the OpenAPI document.

There is no catch-all: the host tries routes in function-name order, so `{*path}` would shadow every function named
after it. An unknown path gets the host's own answer, a 404 with no body.
"""

from __future__ import annotations

import azure.functions as func

from lib.services.health_check import check_health, check_status
from lib.settings import get_settings
from lib.version import version
from lib.web.endpoint import Actor, operator_endpoint, public_endpoint
from lib.web.openapi import build_openapi
from lib.web.problems import json_response

bp = func.Blueprint()


@bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@public_endpoint
def health(req: func.HttpRequest) -> func.HttpResponse:
    report = check_health(get_settings())
    return json_response(report.as_json(), status=503 if report.status == "down" else 200)


@bp.route(route="status", methods=["GET"])
@operator_endpoint
def status(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    report = check_status(get_settings())
    return json_response(report.as_json(), status=503 if report.status == "down" else 200)


@bp.route(route="openapi.json", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@public_endpoint
def openapi(req: func.HttpRequest) -> func.HttpResponse:
    return json_response(build_openapi(version()))
