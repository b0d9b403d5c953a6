"""Fraud and misuse cases, and the 21Vianet service requests made about them (queue-triggered, exactly once)."""

from __future__ import annotations

import logging

import azure.functions as func

from lib.app_context import get_context
from lib.domain.event_fields import customer_id_field
from lib.services import case_listing
from lib.services.write_gate import Verdict
from lib.structured_logging import invocation_context
from lib.web.endpoint import Actor, operator_endpoint
from lib.web.problems import ProblemError, json_response, read_json_body

bp = func.Blueprint()
log = logging.getLogger("csp_guard.service_requests")
SEVERITIES = ("Minimal", "Moderate", "Critical")


@bp.queue_trigger(arg_name="msg", queue_name="%SERVICE_REQUESTS_QUEUE%", connection="AzureWebJobsStorage")
def create_service_request(msg: func.QueueMessage) -> None:
    with invocation_context("create_service_request") as correlation_id:
        case = get_context().service_requests_service().handle(msg.get_body(), correlation_id=correlation_id,
                                                               message_id=msg.id, delivery=msg.dequeue_count or 1)
        if case is not None:
            log.info("case %s: service request %s", case.case_id, case.service_request_id)


@bp.route(route="customers/{customer_id}/service-requests", methods=["POST"])
@operator_endpoint
def request_service(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    customer_id = customer_id_field(req.route_params["customer_id"], "customer_id")
    body = read_json_body(req)
    if not isinstance(body, dict):
        raise ProblemError(400, "the body must be a JSON object", problem="invalid-body")
    for name in ("title", "description"):
        if not isinstance(body.get(name), str) or not body[name].strip():
            raise ProblemError(400, f"{name} is required", problem="invalid-body", field=name)
    severity = body.get("severity", "Moderate")
    # Partner Center documents them lower case (minimal, moderate, critical); either spelling is accepted.
    if not isinstance(severity, str) or severity.capitalize() not in SEVERITIES:
        raise ProblemError(400, f"severity must be one of {', '.join(SEVERITIES)}", problem="invalid-body",
                           field="severity")
    severity = severity.capitalize()
    reason = body.get("reason", "misuse")
    if reason not in ("fraud", "misuse"):
        raise ProblemError(400, "reason must be fraud or misuse", problem="invalid-body", field="reason")
    case_id = body.get("case_id")
    case, verdict = get_context().service_requests_service().operator_request(
        customer_id, title=body["title"], description=body["description"], severity=severity, reason=reason,
        case_id=None if case_id is None else str(case_id), actor=actor.name)
    # 202 either way: queued when the write gate allows it, else recorded (shadow mode) or proposed (review mode).
    return json_response({"case_id": case.case_id, "status": case.status, "queued": verdict is Verdict.WRITE,
                          "gate": verdict.value}, status=202)


@bp.route(route="cases", methods=["GET"])
@operator_endpoint
def list_cases(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    return json_response({"items": case_listing.list_cases(get_context().cases, req.params.get("status"))})


@bp.route(route="cases/{customer_id}/{case_id}", methods=["GET"])
@operator_endpoint
def get_case(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    customer_id = customer_id_field(req.route_params["customer_id"], "customer_id")
    case = get_context().cases.get(customer_id, req.route_params["case_id"])
    if case is None:
        raise ProblemError(404, "no such case", problem="unknown-case")
    return json_response(case.as_json())


@bp.route(route="cases/{customer_id}/{case_id}/resolve", methods=["POST"])
@operator_endpoint
def resolve_case(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    customer_id = customer_id_field(req.route_params["customer_id"], "customer_id")
    body = read_json_body(req)
    fields = body if isinstance(body, dict) else {}
    note = fields.get("note", "")
    if not isinstance(note, str):
        raise ProblemError(400, "note must be a string", problem="invalid-body", field="note")
    resolved = get_context().desk_actions().resolve_case(
        customer_id, req.route_params["case_id"], str(fields.get("outcome") or ""), actor=actor.name, note=note)
    action = resolved.restore_action
    return json_response({**resolved.case.as_json(), "restore_action": action.as_json() if action else None})
