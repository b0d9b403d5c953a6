"""The `csp-guard` words for notices: `notices preview ID --stage S [--lang L] [--as-of DATE]`, and the template
half of `policy check`."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lib.cli_operations import OperationError
from lib.domain.event_fields import EventValidationError, customer_id_field
from lib.domain.policy_file import parse_policy


def check_notice_templates(policy_path: str, text: str) -> list[str]:
    """Every notice template beside the policy (`notices/`), rendered against a sample book."""
    from lib.notices.render import NoticeRenderer
    from lib.notices.template_check import check_templates

    policy = parse_policy(text, policy_path)
    return check_templates(NoticeRenderer(Path(policy_path).parent / "notices", policy), policy)


def preview(args: argparse.Namespace) -> int:
    from lib.app_context import get_context
    from lib.domain.policy import UnknownStageError
    from lib.notices.render import NoticeTemplateError
    from lib.services.customer_notices import preview_notice
    from lib.services.customer_view import CustomerNotFound
    from lib.services.delinquency_scan import as_of_date

    try:
        customer_id = customer_id_field(args.customer_id, "customer_id")
    except EventValidationError as exc:
        raise OperationError(str(exc), 2) from exc
    context = get_context()
    as_of = as_of_date(args.as_of, context.policy) if args.as_of else datetime.now(UTC)
    try:
        shown: dict[str, Any] = preview_notice(context.notice_outbox(), context.ledger, context.accounts,
                                               customer_id, stage=args.stage, lang=args.lang, as_of=as_of)
    except (CustomerNotFound, UnknownStageError, NoticeTemplateError) as exc:
        raise OperationError(str(exc)) from exc
    if args.format == "json":
        print(json.dumps(shown, ensure_ascii=False, indent=2))
    elif args.format == "html":
        print(shown["html"])
    else:
        print(f"Subject: {shown['subject']}\nLanguage: {shown['language']}\n\n{shown['text']}")
    return 0


def add_parsers(sub: Any) -> None:
    notices = sub.add_parser("notices", help="customer notices")
    notices_sub = notices.add_subparsers(dest="notices_command", required=True, metavar="ACTION")
    show = notices_sub.add_parser("preview", help="render the notice a customer would get now; sends nothing")
    show.add_argument("customer_id")
    show.add_argument("--stage", required=True, help="a stage of the policy, or pre_suspension")
    show.add_argument("--lang", choices=["zh-CN", "en"], help="default: the customer's notice language")
    show.add_argument("--as-of", help="render as of this date (YYYY-MM-DD) instead of now")
    show.add_argument("--format", choices=["text", "html", "json"], default="text")
    show.set_defaults(handler=preview)
