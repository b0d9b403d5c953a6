"""Notices to customers: the queue function that mails them, and the operators' routes to see, address and
preview them."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import azure.functions as func

from lib.app_context import get_context
from lib.domain.event_fields import customer_id_field
from lib.domain.notice_contacts import parse_contacts
from lib.services import customer_notices
from lib.services.queue_delivery import deliver
from lib.services.send_notice import InvalidNoticeMessage
from lib.structured_logging import invocation_context
from lib.web.endpoint import Actor, operator_endpoint
from lib.web.problems import ProblemError, json_response, read_json_body

bp = func.Blueprint()
log = logging.getLogger("csp_guard.notices")


@bp.queue_trigger(arg_name="msg", queue_name="%NOTICES_QUEUE%", connection="AzureWebJobsStorage")
def send_notice(msg: func.QueueMessage) -> None:
    with invocation_context("send_notice"):
        context = get_context()
        notice = deliver(lambda body: context.notice_sender().handle(body, delivery=msg.dequeue_count or 1),
                         msg.get_body(), what="notices", never_valid=InvalidNoticeMessage,
                         queue=context.notices_queue, message_id=msg.id, delivery=msg.dequeue_count or 1,
                         alert=context.notice_alert())
        if notice is not None:
            log.info("notice %s/%s: %s", notice.customer_id, notice.notice_id, notice.status)


@bp.route(route="customers/{customer_id}/notices", methods=["GET"])
@operator_endpoint
def list_customer_notices(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    customer_id = customer_id_field(req.route_params["customer_id"], "customer_id")
    return json_response(customer_notices.customer_notices(get_context().notices, customer_id))


@bp.route(route="customers/{customer_id}/notices/preview", methods=["GET"])
@operator_endpoint
def preview_notice(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    customer_id = customer_id_field(req.route_params["customer_id"], "customer_id")
    stage = req.params.get("stage")
    if not stage:
        raise ProblemError(400, "stage is required (a stage of the policy, or pre_suspension)",
                           problem="invalid-query", field="stage")
    lang = req.params.get("lang")
    if lang is not None and lang not in customer_notices.LANGUAGES:
        raise ProblemError(400, f"lang must be one of {', '.join(customer_notices.LANGUAGES)}",
                           problem="invalid-query", field="lang")
    context = get_context()
    return json_response(customer_notices.preview_notice(
        context.notice_outbox(), context.ledger, context.accounts, customer_id, stage=stage, lang=lang,
        as_of=datetime.now(UTC)))


@bp.route(route="notices", methods=["GET"])
@operator_endpoint
def list_notices(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    status = req.params.get("status")
    if status is not None and status not in customer_notices.NOTICE_STATUSES:
        raise ProblemError(400, f"status must be one of {', '.join(customer_notices.NOTICE_STATUSES)}",
                           problem="invalid-query", field="status")
    return json_response(customer_notices.notices_with_status(get_context().notices, status))


@bp.route(route="customers/{customer_id}/contacts", methods=["PUT"])
@operator_endpoint
def put_contacts(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    customer_id = customer_id_field(req.route_params["customer_id"], "customer_id")
    request = parse_contacts(read_json_body(req))
    return json_response(customer_notices.set_contacts(get_context().contacts, customer_id, request,
                                                       actor=actor.name))
