"""One Jinja2 environment for the console: autoescaping on for every template, undefined names are errors."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from lib.domain.notice_facts import money_text
from lib.web.console.assets import asset_url

TEMPLATES = Path(__file__).with_name("templates")
DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")  # the policy's default, for pages rendered without one


def money(amount: int | None, currency: str | None = "CNY") -> str:
    """¥12,345.67 for CNY; other currencies as 12,345.67 USD. Amounts are minor units, never floats."""
    return "—" if amount is None else money_text(amount, currency or "CNY")


@pass_context
def local_time(context: Context, value: str | datetime | None) -> str:
    """A time in the policy's business time zone (the page's `zone`), which also decides the dates it shows."""
    zone = context.get("zone") or DEFAULT_ZONE
    if not value:
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def iso_date(value: date | None) -> str:
    return value.isoformat() if value else "—"


@cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["money"] = money
    env.filters["local_time"] = local_time
    env.filters["iso_date"] = iso_date
    env.globals["asset_url"] = asset_url
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
