"""The customer-facing collections policy, written from the same `CollectionsPolicy` that drives enforcement.

`render_policy` builds one document structure for every language (sentences in `policy_wording`), then writes
it as Markdown or as a minimal HTML page. Every value from the policy file is escaped for the output format.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, Literal

from lib.domain.money import format_amount
from lib.domain.policy import SUSPEND, CollectionsPolicy, Stage
from lib.domain.policy_wording import LANGUAGES, WORDING

Language = Literal["zh-CN", "en"]
Format = Literal["md", "html"]
Block = tuple[Literal["h1", "h2", "p", "ul"], tuple[str, ...]]

_SHANGHAI_ZONES = frozenset({"Asia/Shanghai", "PRC", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin"})
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


class PolicyTextError(ValueError):
    """A language or format the renderer does not know."""


def format_money(amount: int, currency: str, lang: str) -> str:
    """¥1,000.00 in English and 1,000.00 元 in Chinese for CNY; other currencies as "1,000.00 USD"."""
    if currency != "CNY":
        return format_amount(amount, currency)
    number = format_amount(amount, currency).removesuffix(" CNY")
    return f"{number} 元" if lang == "zh-CN" else f"¥{number}"


def render_policy(policy: CollectionsPolicy, lang: str = "zh-CN", fmt: str = "md") -> str:
    if lang not in LANGUAGES:
        raise PolicyTextError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    if fmt not in ("md", "html"):
        raise PolicyTextError(f"unknown format {fmt!r}; expected md or html")
    blocks = _document(policy, lang)
    return _markdown(blocks) if fmt == "md" else _html(blocks, lang)


def policy_as_json(policy: CollectionsPolicy) -> dict[str, Any]:
    """What `GET /api/policy` returns: the rules in force and the published text in both languages."""
    return {
        "timezone": policy.timezone,
        "currency": policy.currency,
        "minimum_overdue": policy.minimum_overdue,
        "grace_days": policy.grace_days,
        "stages": [
            {
                "name": stage.name,
                "days_past_due": stage.days_past_due,
                "min_overdue": stage.min_overdue,
                "min_unpaid_invoices": stage.min_unpaid_invoices,
                "actions": list(stage.actions),
            }
            for stage in policy.stages
        ],
        "holds": asdict(policy.holds),
        "fraud": {key: _jsonable(value) for key, value in asdict(policy.fraud).items()},
        "prevention": asdict(policy.prevention),
        "customer_overrides": len(policy.customers),
        "customer_text": asdict(policy.customer_text),
        "notices": asdict(policy.notices),
        "text": {lang: render_policy(policy, lang, "md") for lang in LANGUAGES},
    }


def _jsonable(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def _document(policy: CollectionsPolicy, lang: str) -> list[Block]:
    w = WORDING[lang]
    facts = policy.customer_text
    partner = facts.partner_name
    zone = w["zone_other"].format(zone=policy.timezone)
    if policy.timezone in _SHANGHAI_ZONES:
        zone = w["zone_shanghai"]

    def money(amount: int) -> str:
        return format_money(amount, policy.currency, lang)

    terms = [w["terms_due"].format(days=facts.payment_terms_days), w["terms_overdue"]]
    if policy.minimum_overdue > 0:
        terms.append(w["terms_minimum"].format(amount=money(policy.minimum_overdue)))
    if policy.grace_days > 0:
        terms.append(w["terms_grace"].format(days=policy.grace_days))

    steps = [_stage_sentence(policy, index, lang, money) for index in range(len(policy.stages))]
    first_suspend = next((stage for stage in policy.stages if SUSPEND in stage.actions), None)
    if first_suspend is None:
        steps.append(w["no_suspension"])
    else:
        steps.append(_notice_period_sentence(policy, w))

    dispute = [w["dispute_how"].format(contact=facts.dispute_email or facts.contact_email)]
    if facts.dispute_url:
        dispute.append(w["dispute_url"].format(url=facts.dispute_url))
    dispute.append(w["dispute_pause"])

    late = [
        w["late_promise"].format(days=policy.holds.promise_to_pay_max_days),
        w["late_resume"],
        w["late_exemption"],
    ]
    contact = []
    if facts.contact_email:
        contact.append(w["contact_email"].format(value=facts.contact_email))
    if facts.contact_phone:
        contact.append(w["contact_phone"].format(value=facts.contact_phone))

    blocks: list[Block] = [
        ("h1", (w["title"].format(partner=partner),)),
        ("p", (w["intro"].format(partner=partner, zone=zone),)),
        ("h2", (w["terms_heading"],)),
        ("ul", tuple(terms)),
        ("h2", (w["steps_heading"],)),
        ("ul", tuple(steps)),
        ("h2", (w["disputes_heading"],)),
        ("ul", tuple(dispute)),
        ("h2", (w["late_heading"],)),
        ("ul", tuple(late)),
    ]
    if first_suspend is not None:
        partial = (
            w["restore_partial"].format(amount=money(first_suspend.min_overdue))
            if first_suspend.min_overdue > 0
            else w["restore_partial_plain"]
        )
        blocks += [("h2", (w["restore_heading"],)), ("ul", (w["restore_auto"], partial))]
    if contact:
        blocks += [("h2", (w["contact_heading"],)), ("ul", tuple(contact))]
    return blocks


def _stage_sentence(policy: CollectionsPolicy, index: int, lang: str, money: Callable[[int], str]) -> str:
    w = WORDING[lang]
    stage = policy.stages[index]
    later = policy.stages[index + 1 :]
    suspended_before = any(SUSPEND in earlier.actions for earlier in policy.stages[:index])
    what: list[str] = []
    if "notify" in stage.actions:
        if SUSPEND in stage.actions or suspended_before:
            what.append(w["do_notify"])
        elif later and SUSPEND in later[0].actions:
            what.append(w["do_final"])
        else:
            what.append(w["do_reminder"])
    if SUSPEND in stage.actions:
        what.append(w["do_still_suspended"] if suspended_before else w["do_suspend"])
    if "service_request" in stage.actions:
        what.append(w["do_service_request"])
    return w["stage"].format(
        day=stage.days_past_due + policy.grace_days,
        conditions=_conditions(stage, w, money),
        what=w["and"].join(what),
    )


def _notice_period_sentence(policy: CollectionsPolicy, w: dict[str, str]) -> str:
    days = policy.notices.notice_days_before_suspension
    return w["notice_period"].format(days=days) if days > 0 else w["notice_period_same_day"]


def _conditions(stage: Stage, w: dict[str, str], money: Callable[[int], str]) -> str:
    # Every overdue account has at least one unpaid invoice, so a minimum of 1 says nothing to the reader.
    count = stage.min_unpaid_invoices if stage.min_unpaid_invoices > 1 else 0
    if stage.min_overdue > 0 and count:
        return w["cond_amount_invoices"].format(amount=money(stage.min_overdue), count=count)
    if stage.min_overdue > 0:
        return w["cond_amount"].format(amount=money(stage.min_overdue))
    if count:
        return w["cond_invoices"].format(count=count)
    return ""


def _markdown(blocks: list[Block]) -> str:
    lines: list[str] = []
    for kind, texts in blocks:
        escaped = [_MARKDOWN_SPECIAL.sub(r"\\\1", text) for text in texts]
        if kind == "h1":
            lines += [f"# {escaped[0]}", ""]
        elif kind == "h2":
            lines += [f"## {escaped[0]}", ""]
        elif kind == "p":
            lines += [*escaped, ""]
        else:
            lines += [*(f"- {text}" for text in escaped), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _html(blocks: list[Block], lang: str) -> str:
    title = next((texts[0] for kind, texts in blocks if kind == "h1"), "")
    body: list[str] = []
    for kind, texts in blocks:
        escaped = [html.escape(text) for text in texts]
        if kind == "ul":
            body += ["<ul>", *(f"  <li>{text}</li>" for text in escaped), "</ul>"]
        else:
            body += [f"<{kind}>{text}</{kind}>" for text in escaped]
    return "\n".join([
        "<!DOCTYPE html>",
        f'<html lang="{html.escape(lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        "</head>",
        "<body>",
        *body,
        "</body>",
        "</html>",
        "",
    ])
