"""The bank accounts and payer names that identify a customer's transfers (read by `csp-guard import-statement`)."""

from __future__ import annotations

import azure.functions as func

from lib.app_context import get_context
from lib.domain.event_fields import customer_id_field
from lib.services.payers import parse_payers
from lib.web.endpoint import Actor, operator_endpoint
from lib.web.problems import json_response, read_json_body

bp = func.Blueprint()


@bp.route(route="customers/{customer_id}/payers", methods=["PUT"])
@operator_endpoint
def put_payers(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    customer_id = customer_id_field(req.route_params["customer_id"], "customer_id")
    request = parse_payers(read_json_body(req))
    stored = get_context().payers.register(customer_id, request, actor=actor.name)
    return json_response(stored.as_json())


@bp.route(route="customers/{customer_id}/payers", methods=["GET"])
@operator_endpoint
def get_payers(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    customer_id = customer_id_field(req.route_params["customer_id"], "customer_id")
    return json_response(get_context().payers.registered(customer_id).as_json())
