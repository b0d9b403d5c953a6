"""Published documents and reports: the collections policy in force, receivables aging, suspension costs."""

from __future__ import annotations

from datetime import UTC, datetime

import azure.functions as func

from lib.app_context import get_context
from lib.domain.policy_text import policy_as_json, render_policy
from lib.services.aging_report import aging_csv, aging_report
from lib.services.suspension_report import suspension_report
from lib.web.endpoint import Actor, operator_endpoint
from lib.web.problems import ProblemError, json_response

bp = func.Blueprint()
_TEXT_TYPES = {"md": "text/markdown", "html": "text/html"}


@bp.route(route="policy", methods=["GET"])
@operator_endpoint
def get_policy(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    policy = get_context().policy
    fmt = req.params.get("format", "json")
    if fmt == "json":
        return json_response(policy_as_json(policy))
    if fmt not in _TEXT_TYPES:
        raise ProblemError(400, "format must be json, md or html", problem="invalid-query")
    lang = req.params.get("lang", "zh-CN")
    if lang not in ("zh-CN", "en"):
        raise ProblemError(400, "lang must be zh-CN or en", problem="invalid-query")
    return func.HttpResponse(render_policy(policy, lang, fmt), mimetype=_TEXT_TYPES[fmt], charset="utf-8")


@bp.route(route="reports/aging", methods=["GET"])
@operator_endpoint
def get_aging(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    context = get_context()
    report = aging_report(context.accounts, context.policy, datetime.now(UTC))
    fmt = req.params.get("format", "json")
    if fmt == "csv":
        return func.HttpResponse(aging_csv(report), mimetype="text/csv", charset="utf-8",
                                 headers={"Content-Disposition": 'attachment; filename="aging.csv"'})
    if fmt != "json":
        raise ProblemError(400, "format must be json or csv", problem="invalid-query")
    return json_response(report)


@bp.route(route="reports/suspensions", methods=["GET"])
@operator_endpoint
def get_suspension_costs(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    return json_response(suspension_report(get_context().subscriptions, datetime.now(UTC)))
