"""Renders a notice's facts into its subject, plain text and HTML with the partner's Jinja2 templates.

Templates live beside the policy, under `policy/notices/{lang}/`: `{name}.subject.txt`, `{name}.txt` and
`{name}.html`, where `name` is the stage (every stage with `notify`) or `pre_suspension`. HTML is autoescaped, so a
company name like `<Acme & Co>` cannot change the mail's markup; an unknown variable is an error (StrictUndefined),
never an empty string in a customer's mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jinja2

from lib.domain.notice_facts import PRE_SUSPENSION, NoticeFacts, money_text
from lib.domain.policy import CollectionsPolicy

LANGUAGES = ("zh-CN", "en")
PARTS = ("subject.txt", "txt", "html")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


class NoticeTemplateError(ValueError):
    """A notice template is missing, does not parse, or uses a variable notices do not provide."""


@dataclass(frozen=True)
class RenderedNotice:
    language: str
    subject: str
    text: str
    html: str


def template_name(facts: NoticeFacts) -> str:
    return PRE_SUSPENSION if facts.kind == PRE_SUSPENSION else facts.stage


def format_date(day: date, lang: str) -> str:
    if lang == "zh-CN":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def language_of(value: str | None) -> str | None:
    """zh-CN for any Chinese culture or language tag (zh, zh-CN, zh-Hans, zh-TW...), en for any other, None
    for none."""
    if not value or not value.strip():
        return None
    return "zh-CN" if value.strip().lower().startswith("zh") else "en"


class NoticeRenderer:
    def __init__(self, template_dir: Path, policy: CollectionsPolicy) -> None:
        self.template_dir = template_dir
        self._policy = policy
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(template_dir)),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False,
                                                default=False),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )

    def render(self, facts: NoticeFacts, lang: str) -> RenderedNotice:
        if lang not in LANGUAGES:
            raise NoticeTemplateError(f"unknown notice language {lang!r}; expected one of {', '.join(LANGUAGES)}")
        context = self.context(facts, lang)
        name = template_name(facts)
        subject, text, html = (self._render(f"{lang}/{name}.{part}", context) for part in PARTS)
        return RenderedNotice(lang, " ".join(subject.split()), text, html)

    def context(self, facts: NoticeFacts, lang: str) -> dict[str, Any]:
        text = self._policy.customer_text
        step = facts.next_step
        return {
            "lang": lang,
            "customer_id": facts.customer_id,
            "company": facts.company_name,
            "stage": facts.stage,
            "notice_date": format_date(facts.notice_date, lang),
            "overdue_amount": money_text(facts.overdue_amount, facts.currency),
            "days_past_due": facts.days_past_due,
            "invoices": [{"id": line.invoice_id, "due_date": format_date(line.due_date, lang),
                          "amount": money_text(line.remaining, facts.currency)} for line in facts.invoices],
            "next": None if step is None else {"stage": step.stage, "date": format_date(step.on, lang),
                                               "suspends": step.suspends},
            "suspension_date": format_date(facts.suspension_date, lang) if facts.suspension_date else None,
            "notice_days": self._policy.notices.notice_days_before_suspension,
            "partner": {"name": text.partner_name, "email": text.contact_email, "phone": text.contact_phone,
                        "dispute_email": text.dispute_email or text.contact_email, "dispute_url": text.dispute_url},
        }

    def _render(self, name: str, context: dict[str, Any]) -> str:
        try:
            return self._env.get_template(name).render(context)
        except jinja2.TemplateNotFound as exc:
            raise NoticeTemplateError(f"{self.template_dir / name}: missing template ({exc.name})") from exc
        except jinja2.TemplateSyntaxError as exc:
            raise NoticeTemplateError(f"{exc.filename or name}:{exc.lineno}: {exc.message}") from exc
        except jinja2.UndefinedError as exc:
            raise NoticeTemplateError(f"{self.template_dir / name}: {exc.message}") from exc
