"""The delinquency scan: on its timer (which hands the customers due to the due-customers queue function), on
demand (acting within the request), and as a preview that changes nothing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import azure.functions as func

from lib.app_context import get_context
from lib.domain.policy import CollectionsPolicy
from lib.services.delinquency_scan import JOB, as_of_date
from lib.services.due_customers import JOB as DUE_JOB
from lib.services.due_customers import InvalidDueMessage
from lib.services.job_runs import run_scan_now, run_timer_job
from lib.services.queue_delivery import deliver
from lib.structured_logging import invocation_context
from lib.web.endpoint import Actor, operator_endpoint
from lib.web.problems import ProblemError, json_response

bp = func.Blueprint()
log = logging.getLogger("csp_guard.scan")


@bp.timer_trigger(schedule="%SCAN_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def delinquency_scan(timer: func.TimerRequest) -> None:
    def dispatch(cid: str) -> dict[str, Any]:
        context = get_context()
        return context.delinquency_scan().dispatch(datetime.now(UTC), context.due_customers_queue.send_json,
                                                   correlation_id=cid).counts()

    run_timer_job(JOB, timer.past_due, dispatch)


@bp.queue_trigger(arg_name="msg", queue_name="%DUE_CUSTOMERS_QUEUE%", connection="AzureWebJobsStorage")
def act_on_due_customers(msg: func.QueueMessage) -> None:
    with invocation_context(DUE_JOB):
        context = get_context()
        report = deliver(lambda body: context.due_customers().handle(body), msg.get_body(), what="due-customers",
                         never_valid=InvalidDueMessage, queue=context.due_customers_queue, message_id=msg.id,
                         delivery=msg.dequeue_count or 1, alert=context.ops_alerts.raise_alert)
        if report is not None:
            log.info("%s: %s", DUE_JOB, report.counts())


@bp.timer_trigger(schedule="%FRAUD_POLL_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def fraud_events_poll(timer: func.TimerRequest) -> None:
    run_timer_job("fraud_events_poll", timer.past_due,
                  lambda cid: get_context().fraud_poll().run(correlation_id=cid).counts())


@bp.timer_trigger(schedule="%RECONCILE_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def reconcile(timer: func.TimerRequest) -> None:
    run_timer_job("reconcile", timer.past_due, lambda cid: get_context().reconciler().run(correlation_id=cid).counts())


@bp.timer_trigger(schedule="%FULL_SWEEP_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def full_sweep(timer: func.TimerRequest) -> None:
    run_timer_job("full_sweep", timer.past_due,
                  lambda cid: get_context().full_sweep().run(datetime.now(UTC), correlation_id=cid).counts())


@bp.route(route="scan", methods=["POST"])
@operator_endpoint
def run_scan(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    context = get_context()
    report = run_scan_now(context.delinquency_scan(), _as_of(req, context.policy), now=datetime.now(UTC),
                          policy=context.policy, allow_future=context.settings.allow_future_as_of,
                          actor=f"operator:{actor.name}")
    return json_response(report.as_json())


@bp.route(route="scan/preview", methods=["GET"])
@operator_endpoint
def preview_scan(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    context = get_context()
    return json_response(context.delinquency_scan().preview(_as_of(req, context.policy)).as_json())


def _as_of(req: func.HttpRequest, policy: CollectionsPolicy) -> datetime:
    text = req.params.get("as_of")
    if not text:
        return datetime.now(UTC)
    try:
        return as_of_date(text, policy)
    except (ValueError, OverflowError) as exc:
        raise ProblemError(400, f"as_of: {exc}", problem="invalid-query", field="as_of") from None
