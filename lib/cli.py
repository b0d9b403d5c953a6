"""The `csp-guard` command. Each subcommand parses its words, calls one service, and prints the outcome.

Failures a user can meet print one line naming what is wrong and exit non-zero; no tracebacks.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from collections.abc import Callable, Sequence

from lib.settings import SettingsError, get_settings
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
        devhost.run_timer_now(settings, args.name)
    except devhost.StartupError as exc:
        raise CliError(str(exc)) from exc
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

    run_timer = sub.add_parser("run-timer", help="fire one timer function now, in this process")
    run_timer.add_argument("name", help="the timer function's name, e.g. delinquency_scan")
    run_timer.set_defaults(handler=_run_timer)
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
    except CliError as exc:
        print(f"csp-guard: {exc}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
