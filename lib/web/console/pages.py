"""The console's pages and its form actions. Each reads through the same services as the JSON routes and renders
one template; lists render their rows as a fragment when htmx asks for them."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

import azure.functions as func

from lib.app_context import get_context
from lib.domain.event_fields import customer_id_field
from lib.domain.policy_text import render_policy
from lib.services.console_at_risk import SORT_KEYS, AtRiskQuery, at_risk, at_risk_row
from lib.services.console_runs import count_items, recent_runs
from lib.services.console_signals import latest_notice, signals
from lib.services.customer_view import customer_view
from lib.services.proposals import LIST_STATUSES, check_list_status
from lib.store.cases import CASE_STATUSES
from lib.web.console import responses
from lib.web.console.assets import assets
from lib.web.console.desk import Desk
from lib.web.console.sign_in import BASE, safe_next
from lib.web.problems import ProblemError


def at_risk_page(desk: Desk) -> func.HttpResponse:
    context = get_context()
    query = AtRiskQuery.parse(dict(desk.req.params), context.policy)
    rows = at_risk(context.accounts, context.policy, desk.now, query, context.customer_names().names,
                   context.notice_outbox().suspension_not_before)
    template = "at_risk_rows.html" if desk.fragment else "at_risk.html"
    beside = signals([row.customer_id for row in rows], context.proposal_desk(), context.notices)
    return desk.page(template, rows=rows, query=query, sort_keys=SORT_KEYS, open_proposals=beside.proposals,
                     last_notice=beside.last_notice,
                     stages=["current", *(s.name for s in context.policy.stages)])


def customer_page(desk: Desk, customer_id: str) -> func.HttpResponse:
    customer_id = customer_id_field(customer_id, "customer_id")
    context = get_context()
    names = context.customer_names()
    company = names.name(customer_id)
    names.subscriptions(customer_id)  # lists them from Partner Center the first time the customer is opened
    view = customer_view(customer_id, ledger=context.ledger, accounts=context.accounts, policy=context.policy,
                         as_of=desk.now, subscriptions=context.subscriptions, actions=context.actions, entries=50)
    account = context.accounts.get(customer_id)
    standing = (at_risk_row(account, context.policy, desk.now, company, context.notice_outbox().suspension_not_before)
                if account else None)
    return desk.page("customer.html", customer=view, company=company, standing=standing,
                     cases=[c.as_json() for c in context.cases.for_customer(customer_id)],
                     payers=context.payers.registered(customer_id).as_json(),
                     notices=[n.as_json() for n in context.notices.for_customer(customer_id)],
                     last_notice=latest_notice(context.notices, customer_id),
                     contacts=context.contacts.get(customer_id),
                     proposals=[p.as_json() for p in context.proposal_desk().for_customer(customer_id)
                                if p.status == "open"],
                     done=desk.req.params.get("done", ""), hold_kinds=("promise_to_pay", "exemption"))


def cases_page(desk: Desk) -> func.HttpResponse:
    status = desk.req.params.get("status") or None
    if status is not None and status not in CASE_STATUSES:
        raise ProblemError(400, f"status must be one of {', '.join(CASE_STATUSES)}", problem="invalid-query",
                           field="status")
    context = get_context()
    cases = [c.as_json() for c in context.cases.list(status=status)]
    companies = context.customer_names().names(sorted({c["customer_id"] for c in cases}))
    return desk.page("cases.html", cases=cases, companies=companies, statuses=CASE_STATUSES, status_filter=status or "",
                     done=desk.req.params.get("done", ""))


def unmatched_page(desk: Desk) -> func.HttpResponse:
    context = get_context()
    events = [_unmatched_row(e) for e in context.unmatched.list(status="open")]
    customers = [row.customer_id for row in context.accounts.scan()]
    companies = context.customer_names().names(customers)
    choices = sorted(((cid, companies[cid].name if cid in companies else "") for cid in customers),
                     key=lambda pair: (pair[1].casefold() or "\uffff", pair[0]))
    return desk.page("unmatched.html", events=events, choices=choices, done=desk.req.params.get("done", ""),
                     assigned_to=desk.req.params.get("customer", ""))


def policy_page(desk: Desk) -> func.HttpResponse:
    document = render_policy(get_context().policy, desk.lang, "html")
    # render_policy escapes every text it places (lib/domain/policy_text.py); only its <body> is embedded.
    body = document.split("<body>", 1)[1].rsplit("</body>", 1)[0]
    return desk.page("policy.html", policy_html=body)


def runs_page(desk: Desk) -> func.HttpResponse:
    context = get_context()
    return desk.page("runs.html", jobs=recent_runs(context.runs), count_items=count_items)


def proposals_page(desk: Desk) -> func.HttpResponse:
    context = get_context()
    status = check_list_status(desk.req.params.get("status"))
    found = [p.as_json() for p in context.proposal_desk().listed(status)]
    companies = context.customer_names().names(sorted({p["customer_id"] for p in found}))
    return desk.page("proposals.html", proposals=found, companies=companies, statuses=LIST_STATUSES,
                     status_filter=status, mode=context.settings.enforcement_mode,
                     done=desk.req.params.get("done", ""))


def login_form(desk: Desk) -> func.HttpResponse:
    return responses.redirect(safe_next(desk.req.params.get("next")))


def static_asset(req: func.HttpRequest) -> func.HttpResponse:
    found = assets().get(req.route_params.get("asset", ""))
    if found is None:
        return responses.secured(func.HttpResponse("no such asset", status_code=404, mimetype="text/plain"))
    return responses.asset(found, req.headers.get("if-none-match"))


# --- writes (POST from forms; the desk has checked the session's token) ---

def assign_unmatched(desk: Desk, provider: str, event_id: str) -> func.HttpResponse:
    customer_id = customer_id_field(desk.form.get("customer_id", "").strip(), "customer_id")
    get_context().desk_actions().assign_unmatched(provider, event_id, customer_id, actor=desk.visitor.actor.name,
                                                  note=desk.form.get("note", ""))
    return responses.redirect(f"{BASE}/unmatched?{urlencode({'done': 'assigned', 'customer': customer_id})}")


def resolve_case(desk: Desk, customer_id: str, case_id: str) -> func.HttpResponse:
    customer_id = customer_id_field(customer_id, "customer_id")
    get_context().desk_actions().resolve_case(customer_id, case_id, desk.form.get("outcome", ""),
                                              actor=desk.visitor.actor.name, note=desk.form.get("note", ""))
    return responses.redirect(f"{BASE}/cases?done=resolved")


def decide_proposal(desk: Desk, customer_id: str, proposal_id: str) -> func.HttpResponse:
    customer_id = customer_id_field(customer_id, "customer_id")
    proposals = get_context().proposal_desk()
    decision = desk.form.get("decision", "")
    if decision == "approve":
        proposals.approve(customer_id, proposal_id, actor=desk.visitor.actor.name, note=desk.form.get("note", ""))
    elif decision == "reject":
        proposals.reject(customer_id, proposal_id, actor=desk.visitor.actor.name, note=desk.form.get("note", ""))
    else:
        raise ProblemError(400, "decision must be approve or reject", problem="invalid-body", field="decision")
    return responses.redirect(f"{BASE}/proposals?done={'approved' if decision == 'approve' else 'rejected'}")


def change_hold(desk: Desk, customer_id: str) -> func.HttpResponse:
    customer_id = customer_id_field(customer_id, "customer_id")
    actions = get_context().desk_actions()
    if desk.form.get("end") == "1":
        actions.end_hold(customer_id, actor=desk.visitor.actor.name)
        done = "hold_ended"
    else:
        fields: dict[str, object] = {k: desk.form[k] for k in ("kind", "until", "note") if k in desk.form}
        actions.set_hold(customer_id, fields, actor=desk.visitor.actor.name, as_of=desk.now)
        done = "hold_saved"
    return responses.redirect(f"{BASE}/customers/{quote(customer_id)}?done={done}")


def _unmatched_row(event: Any) -> dict[str, Any]:
    facts = event.facts or ()
    amount = next((getattr(f, "amount", None) for f in facts if getattr(f, "amount", None) is not None), None)
    currency = next((getattr(f, "currency", None) for f in facts if getattr(f, "currency", None)), None)
    return {**event.as_json(), "amount": amount, "currency": currency}
