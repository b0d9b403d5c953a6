"""The `csp-guard` words that act on customers: scan, suspend, restore, reconcile, seed-demo."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from lib.domain.event_fields import EventValidationError, customer_id_field

EXIT_USAGE = 2


class OperationError(Exception):
    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def _customer(text: str) -> str:
    try:
        return customer_id_field(text, "customer_id")
    except EventValidationError as exc:
        raise OperationError(str(exc), EXIT_USAGE) from exc


def _print(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def scan(args: argparse.Namespace) -> int:
    from lib.app_context import get_context
    from lib.services.delinquency_scan import as_of_date
    from lib.store.leases import LeaseHeld

    context = get_context()
    try:
        as_of = as_of_date(args.as_of, context.policy) if args.as_of else datetime.now(UTC)
    except ValueError as exc:
        raise OperationError(f"--as-of: {exc}", EXIT_USAGE) from exc
    scanner = context.delinquency_scan()
    if args.dry_run:
        report = scanner.preview(as_of)
    else:
        context.clock = lambda: as_of
        try:
            report = scanner.run(as_of, actor="cli")
        except LeaseHeld as exc:
            raise OperationError(str(exc)) from exc
    for change in report.changes:
        verb = "suspend" if change.suspend else "restore" if change.restore else "move"
        print(f"{change.customer_id}  {change.from_stage} -> {change.to_stage}  [{verb}]  {change.decision.reason}")
    counts = report.counts()
    print(f"{'preview' if args.dry_run else report.status}: as of {as_of.isoformat()}; accounts {counts['accounts']}, "
          f"changed {counts['changed']}, suspended {counts['suspended']}, restored {counts['restored']}, "
          f"withheld {counts['withheld']}" + (f"; STOPPED: {report.stopped}" if report.stopped else ""))
    return 1 if report.errors else 0


def suspend(args: argparse.Namespace) -> int:
    from lib.app_context import get_context
    from lib.services.write_gate import Asker

    action = get_context().suspension().suspend(_customer(args.customer_id), reason=args.reason,
                                                actor=f"cli:{args.actor}", note=args.note or "",
                                                subscription_ids=args.subscription or None, asker=Asker.OPERATOR)
    _print(action.as_json())
    return 0 if action.status in ("confirmed", "noop", "shadow") else 1


def restore(args: argparse.Namespace) -> int:
    from lib.app_context import get_context

    action = get_context().suspension().restore(_customer(args.customer_id), reason=args.reason,
                                                actor=f"cli:{args.actor}", note=args.note or "")
    _print(action.as_json())
    return 0 if action.status in ("confirmed", "noop", "shadow") else 1


def reconcile(args: argparse.Namespace) -> int:
    from lib.app_context import get_context

    report = get_context().reconciler().run()
    for drift in report.drift:
        print(f"drift: {drift}")
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    print(f"reconcile: {report.counts()}")
    return 1 if report.errors or report.still_failing else 0


def seed_demo(args: argparse.Namespace) -> int:
    from lib.app_context import get_context
    from lib.services.demo_book import seed_demo_book

    recorded = seed_demo_book(get_context().ingestion(), today=datetime.now(UTC))
    print(f"seed-demo: {recorded} billing events recorded for the sandbox's demo customers")
    _seed_console_demo()
    return 0


def _seed_console_demo() -> None:
    from lib.app_context import get_context
    from lib.services.console_demo import DemoProposal, seed_console_demo
    from lib.services.proposal_recording import TableProposals

    context = get_context()
    proposal = DemoProposal(context.policy, context.ledger, context.proposals,
                            TableProposals(context.proposals, context.actions))
    added = seed_console_demo(context.ingestion(), context.unmatched, context.cases, today=datetime.now(UTC),
                              proposal=proposal)
    print(f"seed-demo: {added} unmatched transfers, cases and proposals added for the console")


def pc_webhooks(args: argparse.Namespace) -> int:
    from lib.app_context import get_context
    from lib.services.write_gate import Asker

    client = get_context().partner_center
    if args.action == "show":
        registration = client.webhook_registration()
        _print(registration.to_json() if registration else {"registered": False})
        return 0
    if args.action == "test":
        _print(_test_delivery(client, get_context().write_gate().ask_for_test_event(Asker.OPERATOR)).to_json())
        return 0
    if not args.url:
        raise OperationError("pc-webhooks register needs --url (the app's /api/webhooks/partner-center)", EXIT_USAGE)
    gate = get_context().write_gate()
    _print(gate.configure_webhooks(Asker.OPERATOR, args.url, args.event or DEFAULT_PC_EVENTS,
                                  signature_in_ms_signature_header=args.ms_signature_header).to_json())
    return 0


DEFAULT_PC_EVENTS = ["azure-fraud-event-detected", "subscription-updated", "subscription-renewed", "test-created"]


def _test_delivery(client: Any, requested: Any) -> Any:
    """Waits up to 30 s for the result of the signed test-created event Partner Center was asked for
    (validationEvents) to reach the registered callback."""
    import time

    for _ in range(30):
        result = client.test_event_result(requested.correlation_id)
        if result.status.lower() == "completed" or result.results:
            return result
        time.sleep(1)
    return result


def register(sub: Any) -> None:
    from lib.services.suspension import REASONS

    scan_cmd = sub.add_parser("scan", help="run the delinquency scan (or preview it with --dry-run)")
    scan_cmd.add_argument("--as-of", help="evaluate as of this date (YYYY-MM-DD) or timestamp")
    scan_cmd.add_argument("--dry-run", action="store_true", help="show what would change; change nothing")
    scan_cmd.set_defaults(handler=scan)
    for name, handler, text in (("suspend", suspend, "suspend a customer's subscriptions for a reason"),
                                ("restore", restore, "remove a reason; restore what csp-guard suspended")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("customer_id")
        cmd.add_argument("--reason", required=True, choices=REASONS)
        cmd.add_argument("--note", default="")
        cmd.add_argument("--actor", default="operator", help="who is acting, for the audit trail")
        if name == "suspend":
            cmd.add_argument("--subscription", action="append", help="only this subscription (repeatable)")
        cmd.set_defaults(handler=handler)
    recon = sub.add_parser("reconcile", help="finish pending actions and report drift from Partner Center")
    recon.set_defaults(handler=reconcile)
    hooks = sub.add_parser("pc-webhooks", help="register or show csp-guard's Partner Center webhook registration")
    hooks.add_argument("action", choices=["register", "show", "test"],
                       help="test: have Partner Center send a signed test-created event and show how it went")
    hooks.add_argument("--url", help="public URL of /api/webhooks/partner-center")
    hooks.add_argument("--event", action="append", help="event to receive (repeatable; default: fraud + subscription)")
    hooks.add_argument("--ms-signature-header", action="store_true",
                       help="ask Partner Center to sign in x-ms-signature instead of Authorization")
    hooks.set_defaults(handler=pc_webhooks)
    demo = sub.add_parser("seed-demo", help="record a demo book of invoices and payments for the sandbox customers")
    demo.set_defaults(handler=seed_demo)
