"""Operators' view of a customer, and the actions they take on it."""

from __future__ import annotations

from datetime import UTC, datetime

import azure.functions as func

from lib.app_context import get_context
from lib.domain.events import customer_id_field
from lib.services.customer_view import customer_view
from lib.web.endpoint import Actor, operator_endpoint
from lib.web.problems import json_response

bp = func.Blueprint()


@bp.route(route="customers/{customer_id}", methods=["GET"])
@operator_endpoint
def get_customer(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    customer_id = customer_id_field(req.route_params["customer_id"], "customer_id")
    context = get_context()
    view = customer_view(customer_id, ledger=context.ledger, accounts=context.accounts, policy=context.policy,
                         as_of=datetime.now(UTC))
    return json_response(view)
