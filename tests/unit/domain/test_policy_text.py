"""The published collections policy is written from the same file that drives enforcement."""

import json
import string
from pathlib import Path

import pytest

from lib.domain.policy_file import parse_policy
from lib.domain.policy_text import PolicyTextError, format_money, policy_as_json, render_policy
from lib.domain.policy_wording import LANGUAGES, WORDING

SHIPPED_TEXT = (Path(__file__).resolve().parents[3] / "policy" / "collections.toml").read_text(encoding="utf-8")


def shipped(**replacements: str) -> str:
    text = SHIPPED_TEXT
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def render(text: str, lang: str, fmt: str = "md") -> str:
    return render_policy(parse_policy(text, "collections.toml"), lang, fmt)


@pytest.mark.parametrize(("lang", "before", "after"), [
    ("en", "¥1,000.00", "¥2,500.00"),
    ("zh-CN", "1,000.00 元", "2,500.00 元"),
])
def test_raising_the_suspension_threshold_changes_the_published_text(lang, before, after):
    original = render(SHIPPED_TEXT, lang)
    raised = render(shipped(**{"min_overdue = 100000": "min_overdue = 250000"}), lang)
    assert before in original
    assert after not in original
    assert after in raised
    assert before not in raised


@pytest.mark.parametrize(("lang", "before", "after"), [
    ("en", "From day 30 after the due date", "From day 45 after the due date"),
    ("zh-CN", "到期日后第 30 天起", "到期日后第 45 天起"),
])
def test_moving_the_suspension_day_changes_the_published_text(lang, before, after):
    moved = render(shipped(**{"days_past_due = 30": "days_past_due = 45"}), lang)
    assert before in render(SHIPPED_TEXT, lang)
    assert before not in moved
    assert after in moved


def test_the_published_days_include_the_grace_period():
    text = render(shipped(**{"grace_days = 0": "grace_days = 5"}), "en")
    assert "From day 6 after the due date: we send you a payment reminder." in text
    assert "grace period of 5 days" in text


def test_the_english_text_covers_terms_steps_disputes_holds_restore_and_contact():
    text = render(SHIPPED_TEXT, "en")
    for expected in (
        "Invoices are due 30 days after the invoice date",
        "If less than ¥10.00 is overdue in total",
        "From day 1 after the due date: we send you a payment reminder.",
        "From day 15 after the due date: we send you a final notice before access is suspended.",
        "From day 30 after the due date, if at least ¥1,000.00 is overdue: your subscriptions",
        "While a dispute is open, we do not suspend your access for non-payment.",
        "promise-to-pay date up to 30 days ahead",
        "restored automatically",
        "within minutes",
        "E-mail: billing@example.cn",
        "China Standard Time",
    ):
        assert expected in text


def test_the_chinese_text_is_written_in_chinese_with_yuan_amounts():
    text = render(SHIPPED_TEXT, "zh-CN")
    for expected in (
        "# 催收政策",
        "北京时间（UTC+8）",
        "发票应在开票日后 30 天内付清",
        "到期日后第 1 天起：我们将向贵方发送付款提醒。",
        "到期日后第 30 天起，如逾期金额达到 1,000.00 元：",
        "争议处理期间，我们不会因欠款暂停贵方的服务",
        "自动恢复，通常在付款入账后数分钟内完成",
        "电子邮件：billing@example.cn",
    ):
        assert expected in text
    assert "¥" not in text
    assert "suspend" not in text


def test_a_minimum_invoice_count_above_one_is_stated():
    text = render(shipped(**{"min_unpaid_invoices = 1": "min_unpaid_invoices = 3"}), "en")
    assert "if at least ¥1,000.00 is overdue on at least 3 invoices" in text
    assert "且逾期发票不少于 3 张" in render(shipped(**{"min_unpaid_invoices = 1": "min_unpaid_invoices = 3"}), "zh-CN")


def test_a_policy_that_never_suspends_says_so_and_promises_no_restore():
    text = render(shipped(**{'actions = ["suspend"]': 'actions = ["notify", "service_request"]'}), "en")
    assert "does not lead to suspension" in text
    assert "How access is restored" not in text
    assert "we send you a payment reminder; we may raise the matter with 21Vianet" in text


def test_html_is_a_whole_escaped_document():
    text = render(shipped(**{'partner_name = "{partner_name}"': 'partner_name = "<b>Tom & Jerry</b> Ltd."'}),
                  "zh-CN", "html")
    assert text.startswith('<!DOCTYPE html>\n<html lang="zh-CN">')
    assert '<meta charset="utf-8">' in text
    assert "<title>催收政策：&lt;b&gt;Tom &amp; Jerry&lt;/b&gt; Ltd.</title>" in text
    assert "<b>" not in text
    assert text.rstrip().endswith("</html>")
    assert text.count("<ul>") == text.count("</ul>") == 6


def test_markdown_escapes_values_from_the_file():
    text = render(shipped(**{'partner_name = "{partner_name}"': 'partner_name = "*Star* [Co]"'}), "en")
    assert r"# Collections policy: \*Star\* \[Co\]" in text


def test_an_unknown_language_or_format_is_refused():
    policy = parse_policy(SHIPPED_TEXT, "f")
    with pytest.raises(PolicyTextError, match="unknown language 'fr'"):
        render_policy(policy, "fr", "md")
    with pytest.raises(PolicyTextError, match="unknown format 'pdf'"):
        render_policy(policy, "en", "pdf")


def test_both_languages_have_the_same_sentences_and_placeholders():
    def placeholders(template: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}

    english, chinese = WORDING["en"], WORDING["zh-CN"]
    assert english.keys() == chinese.keys()
    assert {k: placeholders(v) for k, v in english.items()} == {k: placeholders(v) for k, v in chinese.items()}


def test_money_is_written_for_the_reader():
    assert format_money(100_000, "CNY", "en") == "¥1,000.00"
    assert format_money(100_000, "CNY", "zh-CN") == "1,000.00 元"
    assert format_money(100_000, "USD", "en") == "1,000.00 USD"


def test_the_policy_as_json_has_the_rules_and_both_texts():
    body = policy_as_json(parse_policy(SHIPPED_TEXT, "f"))
    json.dumps(body)  # serialisable as it stands
    assert body["timezone"] == "Asia/Shanghai"
    assert [s["name"] for s in body["stages"]] == ["reminder", "final_notice", "suspension"]
    assert body["stages"][2] == {"name": "suspension", "days_past_due": 30, "min_overdue": 100_000,
                                 "min_unpaid_invoices": 1, "actions": ["suspend"]}
    assert body["fraud"]["suspend_on"] == ["high"]
    assert body["prevention"]["new_customer_budget"] == 1_000_000
    assert set(body["text"]) == set(LANGUAGES)
    assert body["text"]["zh-CN"].startswith("# 催收政策")
