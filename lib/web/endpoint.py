"""Wraps HTTP handlers: a correlation id per invocation, operator auth, and every named failure mapped to a
problem+json response in this one place.

The wrappers are plain functions with the handler's name and a `req: func.HttpRequest` signature, because the
Functions worker matches Python parameters to bindings by name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import azure.functions as func

from lib.billing.provider import WebhookAuthError, WebhookSecretError
from lib.billing.registry import UnknownProviderError
from lib.domain.event_fields import EventValidationError
from lib.domain.hold_request import HoldError
from lib.domain.ledger import LedgerError
from lib.domain.notice_contacts import ContactsError
from lib.domain.policy import NaiveDatetimeError, UnknownStageError
from lib.domain.policy_file import PolicyError
from lib.notices.render import NoticeTemplateError
from lib.partner_center.errors import AuthenticationError, PartnerCenterError
from lib.partner_center.webhook_signature import PartnerCenterSignatureError
from lib.services.assign_unmatched import AlreadyAssigned, UnmatchedEventMissing
from lib.services.case_listing import UnknownCaseStatus
from lib.services.customer_view import CustomerNotFound
from lib.services.job_runs import FutureScanRefused, ScanRunning
from lib.services.partner_center_events import InvalidPartnerCenterEvent
from lib.services.payers import InvalidPayers, PayerConflict
from lib.services.receive_webhook import PayloadTooLarge, WebhookNotConfigured
from lib.services.refusals import Refusal
from lib.services.service_requests import UnknownCase
from lib.services.suspension import CustomerNotInPartnerCenter, UnknownReason, UnknownSubscriptions
from lib.settings import SettingsError, get_settings
from lib.store.entities import EntityMappingError
from lib.store.errors import ConcurrencyConflict, StorageUnavailable
from lib.store.leases import LeaseHeld, LeaseLost
from lib.structured_logging import current_correlation_id, invocation_context
from lib.web.operator_auth import Actor, easy_auth_enabled, operator_from_headers
from lib.web.problems import ProblemError, check_content_length, problem_response

log = logging.getLogger("csp_guard.http")
PublicHandler = Callable[[func.HttpRequest], func.HttpResponse]
OperatorHandler = Callable[[func.HttpRequest, Actor], func.HttpResponse]

Extensions = Callable[[Exception], dict[str, Any]]


def _none(exc: Exception) -> dict[str, Any]:
    return {}


# (exception type, status, problem slug, extra members): the first match wins, so specific types go first.
_ERROR_MAP: list[tuple[type[Exception], int, str, Extensions]] = [
    (ContactsError, 400, "invalid-contacts", lambda e: {"field": getattr(e, "field", None)}),
    (UnknownStageError, 400, "unknown-stage", lambda e: {"field": "stage"}),
    (NoticeTemplateError, 500, "notice-template-invalid", _none),
    (InvalidPayers, 400, "invalid-payers", lambda e: {"field": getattr(e, "field", None)}),
    (PayerConflict, 409, "payer-conflict", lambda e: {"field": getattr(e, "field", None),
                                                      "customer_id": getattr(e, "holder", None)}),
    (UnknownProviderError, 404, "unknown-provider", _none),
    (UnmatchedEventMissing, 404, "no-such-event", _none),
    (AlreadyAssigned, 409, "already-assigned", lambda e: {"assigned_to": getattr(e, "assigned_to", None)}),
    (PartnerCenterSignatureError, 401, "invalid-signature", _none),
    (InvalidPartnerCenterEvent, 400, "invalid-event", _none),
    (UnknownReason, 400, "invalid-reason", lambda e: {"field": "reason"}),
    (UnknownSubscriptions, 404, "unknown-subscription", lambda e: {"field": "subscription_ids"}),
    (CustomerNotInPartnerCenter, 404, "unknown-customer", _none),
    (UnknownCase, 404, "unknown-case", lambda e: {"field": "case_id"}),
    (HoldError, 400, "invalid-hold", _none),
    (NaiveDatetimeError, 400, "invalid-time", _none),
    (ScanRunning, 409, "scan-running", _none),
    (UnknownCaseStatus, 400, "invalid-query", lambda e: {"field": "status"}),
    (FutureScanRefused, 400, "invalid-query", lambda e: {"field": "as_of"}),
    (LeaseHeld, 409, "busy", _none),
    (LeaseLost, 409, "busy", _none),
    (AuthenticationError, 502, "partner-center-auth", _none),
    (PartnerCenterError, 502, "partner-center", lambda e: {"partner_center_code": getattr(e, "code", None),
                                                           "ms_request_id": getattr(e, "request_id", None)}),
    (CustomerNotFound, 404, "unknown-customer", _none),
    (PayloadTooLarge, 413, "payload-too-large", _none),
    (WebhookAuthError, 401, "invalid-signature", _none),
    (WebhookNotConfigured, 500, "webhook-not-configured", _none),
    (WebhookSecretError, 500, "webhook-secret-invalid", _none),
    (EventValidationError, 400, "invalid-event", lambda e: {"field": getattr(e, "field", None)}),
    (LedgerError, 422, "ledger-conflict", _none),
    (PolicyError, 500, "policy-invalid", _none),
    (StorageUnavailable, 503, "storage-unavailable", _none),
    (ConcurrencyConflict, 409, "conflict", _none),
    (EntityMappingError, 400, "invalid-value", _none),
]


def problem_for(exc: Exception) -> ProblemError | None:
    """The problem a named exception maps to (None for an unexpected one), for front ends other than the JSON
    routes (the console renders it as a page)."""
    if isinstance(exc, Refusal):  # carries its own status, slug and field
        return ProblemError(exc.status, str(exc), problem=exc.problem, field=exc.field)
    for exc_type, status, problem, extensions in _ERROR_MAP:
        if isinstance(exc, exc_type):
            return ProblemError(status, str(exc), problem=problem, **extensions(exc))
    return None


def public_endpoint(handler: PublicHandler) -> PublicHandler:
    def endpoint(req: func.HttpRequest) -> func.HttpResponse:
        def call() -> func.HttpResponse:
            check_content_length(req)
            return handler(req)

        return _run(handler.__name__, req, call)

    return _named(endpoint, handler)


def operator_endpoint(handler: OperatorHandler) -> PublicHandler:
    def endpoint(req: func.HttpRequest) -> func.HttpResponse:
        def call() -> func.HttpResponse:
            check_content_length(req)
            settings = get_settings()
            actor = operator_from_headers(req.headers, settings.operator_roles, easy_auth=easy_auth_enabled())
            return handler(req, actor)

        return _run(handler.__name__, req, call)

    return _named(endpoint, handler)


def _run(name: str, req: func.HttpRequest, call: Callable[[], func.HttpResponse]) -> func.HttpResponse:
    incoming = req.headers.get("x-correlation-id") or req.headers.get("ms-correlationid")
    with invocation_context(name, incoming[:64] if incoming else None) as correlation_id:
        path = _path(req.url)
        try:
            response = call()
        except ProblemError as exc:
            response = problem_response(exc, instance=path, correlation_id=correlation_id)
        except SettingsError as exc:
            log.error("misconfigured: %s", exc)
            response = problem_response(ProblemError(500, f"csp-guard is misconfigured: {exc}",
                                                     problem="misconfigured"), instance=path,
                                        correlation_id=correlation_id)
        except Exception as exc:
            response = _mapped(exc, path, correlation_id)
        response.headers["x-correlation-id"] = correlation_id
        return response


def _mapped(exc: Exception, path: str, correlation_id: str) -> func.HttpResponse:
    problem = problem_for(exc)
    if problem is not None:
        if problem.status >= 500:
            log.warning("request failed: %s", exc)
        return problem_response(problem, instance=path, correlation_id=correlation_id)
    log.exception("unhandled error")
    return problem_response(ProblemError(500, "an unexpected error occurred; quote the correlation id",
                                         problem="internal-error"), instance=path, correlation_id=correlation_id)


def _named(endpoint: PublicHandler, handler: Callable[..., func.HttpResponse]) -> PublicHandler:
    endpoint.__name__ = handler.__name__
    endpoint.__qualname__ = handler.__qualname__
    endpoint.__doc__ = handler.__doc__
    endpoint.__module__ = handler.__module__
    return endpoint


def _path(url: str) -> str:
    after_scheme = url.split("://", 1)[-1]
    slash = after_scheme.find("/")
    return after_scheme[slash:].split("?", 1)[0] if slash >= 0 else "/"


__all__ = ["Actor", "current_correlation_id", "operator_endpoint", "public_endpoint"]
