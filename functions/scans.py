"""The delinquency scan: on its timer, on demand, and as a preview that changes nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import azure.functions as func

from lib.app_context import get_context
from lib.domain.policy import CollectionsPolicy
from lib.services.delinquency_scan import JOB, as_of_date
from lib.store.leases import LeaseHeld
from lib.structured_logging import invocation_context
from lib.web.endpoint import Actor, operator_endpoint
from lib.web.problems import ProblemError, json_response

bp = func.Blueprint()
log = logging.getLogger("csp_guard.scan")


@bp.timer_trigger(schedule="%SCAN_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def delinquency_scan(timer: func.TimerRequest) -> None:
    _timer(JOB, timer, lambda cid: get_context().delinquency_scan().run(datetime.now(UTC), correlation_id=cid).counts())


@bp.timer_trigger(schedule="%FRAUD_POLL_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def fraud_events_poll(timer: func.TimerRequest) -> None:
    _timer("fraud_events_poll", timer, lambda cid: get_context().fraud_poll().run(correlation_id=cid).counts())


@bp.timer_trigger(schedule="%RECONCILE_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def reconcile(timer: func.TimerRequest) -> None:
    _timer("reconcile", timer, lambda cid: get_context().reconciler().run(correlation_id=cid).counts())


@bp.timer_trigger(schedule="%FULL_SWEEP_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def full_sweep(timer: func.TimerRequest) -> None:
    _timer("full_sweep", timer,
           lambda cid: get_context().full_sweep().run(datetime.now(UTC), correlation_id=cid).counts())


def _timer(job: str, timer: func.TimerRequest, run: Callable[[str], dict[str, Any]]) -> None:
    with invocation_context(job) as correlation_id:
        if timer.past_due:
            log.warning("%s is running late (past due)", job)
        try:
            counts = run(correlation_id)
        except LeaseHeld as exc:
            log.warning("%s skipped: %s", job, exc)
            return
        log.info("%s: %s", job, counts)


@bp.route(route="scan", methods=["POST"])
@operator_endpoint
def run_scan(req: func.HttpRequest, actor: Actor) -> func.HttpResponse:
    context = get_context()
    as_of = _as_of(req, context.policy)
    try:
        report = context.delinquency_scan().run(as_of, actor=f"operator:{actor.name}")
    except LeaseHeld as exc:
        raise ProblemError(409, str(exc), problem="scan-running") from exc
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
    except ValueError as exc:
        raise ProblemError(400, f"as_of: {exc}", problem="invalid-query", field="as_of") from None
