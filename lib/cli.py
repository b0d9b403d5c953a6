"""The `csp-guard` command. Each subcommand parses its words, calls one service, and prints the outcome.

Failures a user can meet print one line naming what is wrong and exit non-zero; no tracebacks.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import secrets
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from lib import cli_notices, cli_operations
from lib.domain.policy_file import PolicyError
from lib.partner_center.errors import PartnerCenterError
from lib.services.suspension import CustomerNotInPartnerCenter, UnknownSubscriptions
from lib.settings import SettingsError, get_settings
from lib.store.errors import StoreError
from lib.store.leases import LeaseHeld
from lib.structured_logging import configure_logging

EXIT_USAGE = 2
EXIT_FAILURE = 1


class CliError(Exception):
    """A failure to report as one line, with its exit status."""

    def __init__(self, message: str, status: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.status = status


def _serve(args: argparse.Namespace) -> int:
    from lib import devhost

    settings = get_settings()
    configure_logging(settings.secret_values())
    key = settings.function_key or secrets.token_urlsafe(24)
    try:
        running = devhost.start(settings, host=args.host, port=args.port, function_key=key,
                                timers=not args.no_timers, queues=not args.no_queues)
    except devhost.StartupError as exc:
        raise CliError(str(exc)) from exc
    print(f"csp-guard development host on {running.url}/api  (function key: "
          f"{'from CSPGUARD_FUNCTION_KEY' if settings.function_key else key})", flush=True)
    devhost.serve_until_stopped(running)
    return 0


def _run_timer(args: argparse.Namespace) -> int:
    from lib import devhost

    settings = get_settings()
    configure_logging(settings.secret_values())
    try:
        handled = devhost.run_timer_now(settings, args.name, queues=not args.no_queues)
    except devhost.StartupError as exc:
        raise CliError(str(exc)) from exc
    if handled:
        print(f"{args.name}: done; the queue functions then handled {handled} message(s) it and others left")
    return 0


def _import_payments(args: argparse.Namespace) -> int:
    from lib.app_context import get_context
    from lib.services.import_payments import import_payments

    context = get_context()
    try:
        handle = open(args.file, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror}") from exc
    with handle:
        report = import_payments(handle, context.ingestion(), skip_bad=args.skip_bad, progress=_progress_bar())
    return _import_outcome(args.file, report)


class ImportOutcome(Protocol):
    @property
    def errors(self) -> Sequence[object]: ...

    @property
    def failures(self) -> Sequence[object]: ...

    @property
    def imported(self) -> bool: ...

    def lines(self) -> list[str]: ...


def _import_outcome(source: str, report: ImportOutcome) -> int:
    """What an import tells the operator: every bad row (nothing imported unless --skip-bad), then what it did."""
    for error in report.errors:
        print(f"{source}:{error}", file=sys.stderr)
    if not report.imported:
        raise CliError(f"{len(report.errors)} problem(s) in {source}; nothing imported "
                       "(fix the rows, or pass --skip-bad to import the good ones)")
    for failure in report.failures:
        print(f"{source}:{failure}", file=sys.stderr)
    print(*report.lines(), sep="\n")
    return EXIT_FAILURE if report.failures else 0


def _import_statement(args: argparse.Namespace) -> int:
    import re

    from lib.app_context import get_context

    try:
        pattern = re.compile(args.invoice_pattern) if args.invoice_pattern else None
    except re.error as exc:
        raise CliError(f"--invoice-pattern is not a regular expression: {exc}", EXIT_USAGE) from exc
    try:
        with open(args.file, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror}") from exc
    with _statement_progress() as progress:
        report = get_context().statement_import().run(data, args.format, source=args.file, skip_bad=args.skip_bad,
                                                      invoice_pattern=pattern, progress=progress)
    return _import_outcome(args.file, report)


@contextlib.contextmanager
def _statement_progress() -> Iterator[Callable[[int, int], None]]:
    from tqdm import tqdm

    # tqdm draws on stderr; off when stderr is not a terminal, so logs and pipes stay clean.
    with tqdm(total=0, unit="row", file=sys.stderr, disable=not sys.stderr.isatty()) as bar:
        def show(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        yield show


def _progress_bar(width: int = 30) -> Callable[[int, int], None] | None:
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        filled = width * done // max(total, 1)
        end = "\n" if done == total else ""
        print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end=end, file=sys.stderr, flush=True)

    return show


def _policy(args: argparse.Namespace) -> int:
    from lib.domain.policy_file import check_policy, load_policy
    from lib.domain.policy_text import render_policy

    if args.action == "check":
        path = args.file or str(get_settings().collections_policy)
        try:
            text = open(path, encoding="utf-8").read()  # noqa: SIM115
        except OSError as exc:
            raise CliError(f"cannot read {path}: {exc.strerror}") from exc
        problems = check_policy(text, path)
        for problem in problems:
            print(problem.format(path), file=sys.stderr)
        if problems:
            return EXIT_FAILURE
        template_problems = cli_notices.check_notice_templates(path, text)
        for template_problem in template_problems:
            print(template_problem, file=sys.stderr)
        if template_problems:
            return EXIT_FAILURE
        print(f"{path}: ok")
        return 0
    policy = load_policy(args.file or get_settings().collections_policy)
    print(render_policy(policy, args.lang, args.format))
    return 0


def _rebuild_summaries(args: argparse.Namespace) -> int:
    from lib.app_context import get_context
    from lib.services.rebuild_summaries import rebuild_summaries

    context = get_context()
    report = rebuild_summaries(context.ledger, context.accounts, context.agenda_filing().after_event)
    for customer in report.repaired:
        print(f"repaired {customer}")
    for customer in report.conflicts:
        print(f"skipped {customer}: it changed while being checked; run again", file=sys.stderr)
    print(f"customers: {report.customers}  repaired: {len(report.repaired)}  skipped: {len(report.conflicts)}")
    return 0


def _customer_show(args: argparse.Namespace) -> int:
    import json
    from datetime import UTC, datetime

    from lib.app_context import get_context
    from lib.domain.event_fields import EventValidationError, customer_id_field
    from lib.services.customer_view import CustomerNotFound, customer_view

    try:
        customer_id = customer_id_field(args.customer_id, "customer_id")
    except EventValidationError as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc
    context = get_context()
    try:
        view = customer_view(customer_id, ledger=context.ledger, accounts=context.accounts,
                             policy=context.policy, as_of=datetime.now(UTC), subscriptions=context.subscriptions,
                             actions=context.actions)
    except CustomerNotFound as exc:
        raise CliError(str(exc)) from exc
    print(json.dumps(view, ensure_ascii=False, indent=2, default=str))
    return 0


def _sandbox(args: argparse.Namespace) -> int:
    from lib.partner_center.sandbox.server import serve

    try:
        serve(args.host, args.port, args.seed, demo=not args.empty, rate_limit=args.rate_limit)
    except ValueError as exc:  # a seed file that is not the /_sandbox/customers format
        raise CliError(f"--seed {args.seed}: {exc}") from exc
    except OSError as exc:
        raise CliError(f"cannot use {args.seed or f'{args.host}:{args.port}'}: {exc.strerror}") from exc
    return 0


Command = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="csp-guard", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="host the Functions app locally (no Core Tools needed)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=7071)
    serve.add_argument("--no-timers", action="store_true", help="do not fire timer functions on schedule")
    serve.add_argument("--no-queues", action="store_true", help="do not poll queue triggers")
    serve.set_defaults(handler=_serve)

    sandbox = sub.add_parser("sandbox", help="run the local Partner Center sandbox (demo data unless --seed/--empty)")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=7081)
    sandbox.add_argument("--seed", help="JSON file in the /_sandbox/customers format")
    sandbox.add_argument("--empty", action="store_true", help="start with no customers")
    sandbox.add_argument("--rate-limit", type=float, default=0.0,
                         help="answer 429 beyond this many requests per second, like Partner Center (0: off)")
    sandbox.set_defaults(handler=_sandbox)

    run_timer = sub.add_parser("run-timer", help="fire one timer function now, in this process")
    run_timer.add_argument("name", help="the timer function's name, e.g. delinquency_scan")
    run_timer.add_argument("--no-queues", action="store_true",
                           help="only fire the timer: leave what it queued (the daily scan's customers due, notices) "
                                "to a running host instead of running the queue functions on it here")
    run_timer.set_defaults(handler=_run_timer)

    payments = sub.add_parser("import-payments", help="record payments from a bank export CSV")
    payments.add_argument("file", help="CSV with customer_id,payment_id,amount,currency,paid_at,invoice_id")
    payments.add_argument("--skip-bad", action="store_true", help="import the good rows even if some are bad")
    payments.set_defaults(handler=_import_payments)

    statement = sub.add_parser("import-statement", help="record the credits of a bank statement (CSV or XLSX)")
    statement.add_argument("file", help="the bank's export: CSV (UTF-8, UTF-8 with BOM or GBK) or XLSX")
    statement.add_argument("--format", choices=["cmb", "icbc", "generic"], default="generic",
                           help="whose column names the file uses (default: generic)")
    statement.add_argument("--skip-bad", action="store_true", help="import the good rows even if some are bad")
    statement.add_argument("--invoice-pattern", metavar="REGEX",
                           help="find an invoice id in the memo with this pattern (first group, else the match) "
                                "when it names none of the customer's open invoices")
    statement.set_defaults(handler=_import_statement)

    policy = sub.add_parser("policy", help="check or render the collections policy")
    policy.add_argument("action", choices=["check", "render"])
    policy.add_argument("file", nargs="?", help="policy file (default: COLLECTIONS_POLICY)")
    policy.add_argument("--lang", choices=["zh-CN", "en"], default="zh-CN")
    policy.add_argument("--format", choices=["md", "html"], default="md")
    policy.set_defaults(handler=_policy)

    rebuild = sub.add_parser("rebuild-summaries", help="recompute every ledger summary from its facts")
    rebuild.set_defaults(handler=_rebuild_summaries)

    cli_operations.register(sub)

    customer = sub.add_parser("customer", help="show a customer")
    customer_sub = customer.add_subparsers(dest="customer_command", required=True, metavar="ACTION")
    show = customer_sub.add_parser("show", help="balance, aging, stage, hold, subscriptions, recent actions")
    show.add_argument("customer_id")
    show.set_defaults(handler=_customer_show)
    cli_notices.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Command = args.handler
    try:
        return handler(args)
    except SettingsError as exc:
        print(f"csp-guard: setting {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (CliError, cli_operations.OperationError) as exc:
        print(f"csp-guard: {exc}", file=sys.stderr)
        return exc.status
    except (PolicyError, UnknownSubscriptions, CustomerNotInPartnerCenter, PartnerCenterError, LeaseHeld) as exc:
        print(f"csp-guard: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except StoreError as exc:
        print(f"csp-guard: storage: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug, not a user error: one line, and the details in the log
        logging.getLogger("csp_guard.cli").exception("unexpected error")
        print(f"csp-guard: unexpected error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
