"""Rendering facts of the console that need no server: money, escaping, translations and the vendored htmx."""

from __future__ import annotations

import hashlib
import re

import pytest

from lib.web.console.assets import STATIC_DIR, asset_url, assets
from lib.web.console.i18n import LANGUAGES, MESSAGES, choose_language, translator
from lib.web.console.rendering import environment, money

HTMX_SHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"  # htmx.org 2.0.11, dist/htmx.min.js


@pytest.mark.parametrize(("amount", "currency", "text"), [
    (1_234_567, "CNY", "¥12,345.67"), (5, "CNY", "¥0.05"), (-95_000, "CNY", "-¥950.00"),
    (1_234_567, "USD", "12,345.67 USD"), (1200, "JPY", "1,200 JPY"), (None, "CNY", "—"),
])
def test_money_is_shown_from_minor_units_without_floats(amount, currency, text):
    assert money(amount, currency) == text


def test_templates_escape_customer_text():
    template = environment().from_string("<td>{{ name }}</td>")
    assert template.render(name='<script>x</script>&"') == "<td>&lt;script&gt;x&lt;/script&gt;&amp;&#34;</td>"


def test_every_message_has_both_languages_and_the_switch_is_kept():
    assert all(len(pair) == len(LANGUAGES) and all(pair) for pair in MESSAGES.values())
    assert translator("en")("nav.at_risk") == "At risk" and translator("zh-CN")("nav.at_risk") == "风险客户"
    assert choose_language({}, None) == "zh-CN"
    assert choose_language({}, "en") == "en"
    assert choose_language({"lang": "zh-CN"}, "en") == "zh-CN"
    assert choose_language({"lang": "fr"}, "de") == "zh-CN"


def test_the_vendored_htmx_is_the_pinned_release_and_assets_have_fingerprinted_urls():
    assert hashlib.sha256((STATIC_DIR / "htmx.min.js").read_bytes()).hexdigest() == HTMX_SHA256
    url = asset_url("htmx.min.js")
    assert url == f"/api/console/static/htmx.min.{HTMX_SHA256[:12]}.js"
    assert {a.source for a in assets().values()} >= {"htmx.min.js", "console.js", "console.css"}


def test_no_template_has_inline_script_or_style():
    for path in (STATIC_DIR.parent / "templates").glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "<script>" not in text and "<style" not in text and " style=" not in text, path.name
        assert not re.search(r"\son[a-z]+\s*=", text), path.name  # no event-handler attributes


def test_make_run_prints_the_console_url_with_the_dev_key():
    from lib.local_stack import APP_PORT, console_url

    assert console_url({"CSPGUARD_FUNCTION_KEY": "local-dev-key"}) == (
        f"http://127.0.0.1:{APP_PORT}/api/console?code=local-dev-key")
    assert console_url({"CSPGUARD_FUNCTION_KEY": "a&b=c"}).endswith("?code=a%26b%3Dc")
