"""The delinquency scan: on its timer, on demand, and as a preview that changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import azure.functions as func

from lib.app_context import get_context
from lib.domain.policy import CollectionsPolicy
from lib.services.delinquency_scan import JOB, as_of_date
from lib.services.job_runs import run_scan_now, run_timer_job
from lib.web.endpoint import Actor, operator_endpoint
from lib.web.problems import ProblemError, json_response

bp = func.Blueprint()


@bp.timer_trigger(schedule="%SCAN_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def delinquency_scan(timer: func.TimerRequest) -> None:
    run_timer_job(JOB, timer.past_due,
                  lambda cid: get_context().delinquency_scan().run(datetime.now(UTC), correlation_id=cid).counts())


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
