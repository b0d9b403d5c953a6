"""Billing providers' webhooks, and the operators' view of deliveries we could not map to a customer."""

from __future__ import annotations

from datetime import UTC, datetime

import azure.functions as func

from lib.app_context import get_context
from lib.domain.event_fields import customer_id_field
from lib.services.partner_center_events import parse_event
from lib.services.receive_webhook import MAX_BODY_BYTES, receive_delivery
from lib.web.endpoint import Actor, operator_endpoint, public_endpoint
from lib.web.problems import ProblemError, json_response, read_json_body

bp = func.Blueprint()
PARTNER_CENTER = "partner-center"


@bp.route(route="webhooks/{provider}", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@public_endpoint
def billing_webhook(req: func.HttpRequest) -> func.HttpResponse:
    # One function for every webhooks/… URL: the host tries routes in function-name order, so a second function on
    # webhooks/partner-center would be shadowed by this template (or shadow it). Partner Center's own events are
    # dispatched here instead.
    if req.route_params["provider"].lower() == PARTNER_CENTER:
        return _partner_center_webhook(req)
    context = get_context()
    reply = receive_delivery(req.route_params["provider"], dict(req.headers), req.get_body(),
                             settings=context.settings, ingestion=context.ingestion(), now=datetime.now(UTC))
    return func.HttpResponse(reply.body, status_code=reply.status, mimetype=reply.mimetype, charset="utf-8")


def _partner_center_webhook(req: func.HttpRequest) -> func.HttpResponse:
    context = get_context()
    body = req.get_body()
    if len(body) > MAX_BODY_BYTES:
        raise ProblemError(413, "the body is too large", problem="payload-too-large")
    context.partner_center_webhook_verifier().verify(dict(req.headers), body)
    return json_response(context.partner_center_events().handle(parse_event(body)))


@bp.route(route="unmatched", methods=["GET"])
@operator_endpoint
def list_unmatched(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    status = req.params.get("status", "open")
    if status not in ("open", "assigned", "all"):
        raise ProblemError(400, "status must be open, assigned or all", problem="invalid-query")
    events = get_context().unmatched.list(status=None if status == "all" else status)
    return json_response({"items": [e.as_json() for e in events]})


@bp.route(route="unmatched/{provider}/{event_id}/assign", methods=["POST"])
@operator_endpoint
def assign_unmatched(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    body = read_json_body(req)
    if not isinstance(body, dict):
        raise ProblemError(400, "the body must be a JSON object", problem="invalid-body")
    customer_id = customer_id_field(body.get("customer_id"), "customer_id")
    result = get_context().unmatched_assignment().assign(
        req.route_params["provider"], req.route_params["event_id"], customer_id=customer_id, actor=actor.name)
    return json_response(result.as_json())
