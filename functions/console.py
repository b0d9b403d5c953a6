"""The collections desk in the browser (`GET /api/console` and its pages, forms and static files).

Anonymous to the Functions host on purpose: a browser never holds a function key. The console signs the operator
in itself (Easy Auth's principal in Azure, the development key locally; see lib/web/console/access.py). Every
route is under `console/` with a literal second segment, so none can answer another function's path.
"""

from __future__ import annotations

import azure.functions as func

from lib.web.console import pages
from lib.web.console.desk import Desk, console_page, console_write, login_endpoint, logout_endpoint
from lib.web.endpoint import public_endpoint

bp = func.Blueprint()
ANONYMOUS = func.AuthLevel.ANONYMOUS


@bp.route(route="console", methods=["GET"], auth_level=ANONYMOUS)
@console_page
def console_at_risk(desk: Desk) -> func.HttpResponse:
    return pages.at_risk_page(desk)


@bp.route(route="console/customers/{customer_id}", methods=["GET"], auth_level=ANONYMOUS)
@console_page
def console_customer(desk: Desk) -> func.HttpResponse:
    return pages.customer_page(desk, desk.req.route_params["customer_id"])


@bp.route(route="console/customers/{customer_id}/hold", methods=["POST"], auth_level=ANONYMOUS)
@console_write
def console_customer_hold(desk: Desk) -> func.HttpResponse:
    return pages.change_hold(desk, desk.req.route_params["customer_id"])


@bp.route(route="console/cases", methods=["GET"], auth_level=ANONYMOUS)
@console_page
def console_cases(desk: Desk) -> func.HttpResponse:
    return pages.cases_page(desk)


@bp.route(route="console/cases/{customer_id}/{case_id}/resolve", methods=["POST"], auth_level=ANONYMOUS)
@console_write
def console_case_resolve(desk: Desk) -> func.HttpResponse:
    return pages.resolve_case(desk, desk.req.route_params["customer_id"], desk.req.route_params["case_id"])


@bp.route(route="console/unmatched", methods=["GET"], auth_level=ANONYMOUS)
@console_page
def console_unmatched(desk: Desk) -> func.HttpResponse:
    return pages.unmatched_page(desk)


@bp.route(route="console/unmatched/{provider}/{event_id}/assign", methods=["POST"], auth_level=ANONYMOUS)
@console_write
def console_unmatched_assign(desk: Desk) -> func.HttpResponse:
    return pages.assign_unmatched(desk, desk.req.route_params["provider"], desk.req.route_params["event_id"])


@bp.route(route="console/policy", methods=["GET"], auth_level=ANONYMOUS)
@console_page
def console_policy(desk: Desk) -> func.HttpResponse:
    return pages.policy_page(desk)


@bp.route(route="console/runs", methods=["GET"], auth_level=ANONYMOUS)
@console_page
def console_runs(desk: Desk) -> func.HttpResponse:
    return pages.runs_page(desk)


@bp.route(route="console/proposals", methods=["GET"], auth_level=ANONYMOUS)
@console_page
def console_proposals(desk: Desk) -> func.HttpResponse:
    return pages.proposals_page(desk)


@bp.route(route="console/proposals/{customer_id}/{proposal_id}/decide", methods=["POST"], auth_level=ANONYMOUS)
@console_write
def console_proposal_decide(desk: Desk) -> func.HttpResponse:
    return pages.decide_proposal(desk, desk.req.route_params["customer_id"], desk.req.route_params["proposal_id"])


@bp.route(route="console/login", methods=["GET"], auth_level=ANONYMOUS)
@console_page
def console_login_form(desk: Desk) -> func.HttpResponse:
    return pages.login_form(desk)


@bp.route(route="console/login", methods=["POST"], auth_level=ANONYMOUS)
def console_login(req: func.HttpRequest) -> func.HttpResponse:
    return login_endpoint(req)


@bp.route(route="console/logout", methods=["POST"], auth_level=ANONYMOUS)
def console_logout(req: func.HttpRequest) -> func.HttpResponse:
    return logout_endpoint(req)


@bp.route(route="console/static/{asset}", methods=["GET"], auth_level=ANONYMOUS)
@public_endpoint
def console_static(req: func.HttpRequest) -> func.HttpResponse:
    return pages.static_asset(req)
