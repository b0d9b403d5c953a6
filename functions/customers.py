"""Operators' view of a customer, and the actions they take on it."""

from __future__ import annotations

from datetime import UTC, datetime

import azure.functions as func

from lib.app_context import get_context
from lib.domain.event_fields import customer_id_field
from lib.services.customer_view import customer_view
from lib.services.suspension import check_reason
from lib.services.write_gate import Asker
from lib.web.endpoint import Actor, operator_endpoint
from lib.web.problems import ProblemError, json_response, read_json_body

bp = func.Blueprint()


@bp.route(route="customers/{customer_id}", methods=["GET"])
@operator_endpoint
def get_customer(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    customer_id = customer_id_field(req.route_params["customer_id"], "customer_id")
    context = get_context()
    view = customer_view(customer_id, ledger=context.ledger, accounts=context.accounts, policy=context.policy,
                         as_of=datetime.now(UTC), subscriptions=context.subscriptions, actions=context.actions)
    return json_response(view)


@bp.route(route="customers/{customer_id}/suspend", methods=["POST"])
@operator_endpoint
def suspend_customer(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    customer_id = customer_id_field(req.route_params["customer_id"], "customer_id")
    body = _object(req)
    reason = check_reason(body.get("reason"))
    note = _note(body)
    subscription_ids = body.get("subscription_ids")
    if subscription_ids is not None and (not isinstance(subscription_ids, list) or not subscription_ids
                                         or not all(isinstance(s, str) and s for s in subscription_ids)):
        raise ProblemError(400, "subscription_ids must be a non-empty list of ids", problem="invalid-body",
                           field="subscription_ids")
    action = get_context().suspension().suspend(customer_id, reason=reason, actor=actor.name, note=note,
                                                subscription_ids=subscription_ids, asker=Asker.OPERATOR)
    return json_response({"action_id": action.action_id, **action.as_json()}, status=202)


@bp.route(route="customers/{customer_id}/restore", methods=["POST"])
@operator_endpoint
def restore_customer(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    customer_id = customer_id_field(req.route_params["customer_id"], "customer_id")
    body = _object(req)
    reason = check_reason(body.get("reason"))
    action = get_context().suspension().restore(customer_id, reason=reason, actor=actor.name, note=_note(body))
    return json_response({"action_id": action.action_id, **action.as_json()}, status=202)


@bp.route(route="customers/{customer_id}/hold", methods=["PUT"])
@operator_endpoint
def put_hold(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    customer_id = customer_id_field(req.route_params["customer_id"], "customer_id")
    # The console's use case: the same rules and audit trail, and an open non-payment proposal lapses.
    hold = get_context().desk_actions().set_hold(customer_id, _object(req), actor=actor.name, as_of=datetime.now(UTC))
    return json_response({"customer_id": customer_id, "hold": {"kind": hold.kind, "until": hold.until.isoformat(),
                                                                "note": hold.note}})


@bp.route(route="customers/{customer_id}/hold", methods=["DELETE"])
@operator_endpoint
def delete_hold(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    customer_id = customer_id_field(req.route_params["customer_id"], "customer_id")
    get_context().desk_actions().end_hold(customer_id, actor=actor.name)
    return json_response({"customer_id": customer_id, "hold": None})


def _object(req: func.HttpRequest) -> dict[str, object]:
    body = read_json_body(req)
    if not isinstance(body, dict):
        raise ProblemError(400, "the body must be a JSON object", problem="invalid-body")
    return body


def _note(body: dict[str, object]) -> str:
    note = body.get("note", "")
    if not isinstance(note, str) or len(note) > 2000:
        raise ProblemError(400, "note must be text of at most 2000 characters", problem="invalid-body", field="note")
    return note
