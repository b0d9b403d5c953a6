"""Review mode: operators list, approve and reject proposals (DESIGN.md, "Review mode and the console")."""

from __future__ import annotations

import azure.functions as func

from lib.app_context import get_context
from lib.domain.event_fields import customer_id_field
from lib.services import proposals
from lib.web.endpoint import Actor, operator_endpoint
from lib.web.problems import ProblemError, json_response, read_json_body

bp = func.Blueprint()


@bp.route(route="proposals", methods=["GET"])
@operator_endpoint
def list_proposals(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    found = get_context().proposal_desk().listed(req.params.get("status"))
    return json_response({"proposals": [p.as_json() for p in found]})


@bp.route(route="proposals/{customer_id}/{proposal_id}/approve", methods=["POST"])
@operator_endpoint
def approve_proposal(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    customer_id = customer_id_field(req.route_params["customer_id"], "customer_id")
    decided = get_context().proposal_desk().approve(customer_id, req.route_params["proposal_id"], actor=actor.name,
                                                    note=_note(req))
    return json_response({**decided.proposal.as_json(), "audit_action_id": decided.audit.action_id,
                          "action": decided.write.as_json() if decided.write else None})


@bp.route(route="proposals/{customer_id}/{proposal_id}/reject", methods=["POST"])
@operator_endpoint
def reject_proposal(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    customer_id = customer_id_field(req.route_params["customer_id"], "customer_id")
    decided = get_context().proposal_desk().reject(customer_id, req.route_params["proposal_id"], actor=actor.name,
                                                   note=_note(req))
    return json_response({**decided.proposal.as_json(), "audit_action_id": decided.audit.action_id})


def _note(req: func.HttpRequest) -> str:
    body = read_json_body(req) if req.get_body() else {}
    if not isinstance(body, dict):
        raise ProblemError(400, "the body must be a JSON object", problem="invalid-body")
    return proposals.check_note(body.get("note"), required=False)
