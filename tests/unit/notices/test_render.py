"""Rendering notices from the shipped templates, and the checks `policy check` runs on them."""

import shutil
from pathlib import Path

import pytest

from lib.domain.policy_file import load_policy
from lib.notices.render import NoticeRenderer, NoticeTemplateError, format_date, language_of
from lib.notices.template_check import SAMPLE_COMPANY, check_templates, sample_notices

ROOT = Path(__file__).parents[3]
POLICY = load_policy(ROOT / "policy" / "collections.toml")
TEMPLATES = ROOT / "policy" / "notices"


def by_kind(facts, stage):
    return next(f for f in facts if f.stage == stage or f.kind == stage)


def test_every_shipped_template_renders_against_the_sample_book():
    assert check_templates(NoticeRenderer(TEMPLATES, POLICY), POLICY) == []
    assert sorted(f.kind if f.kind == "pre_suspension" else f.stage for f in sample_notices(POLICY)) == [
        "final_notice", "pre_suspension", "reminder"]


def test_the_english_final_notice_states_amount_invoices_days_and_the_suspension_date():
    facts = by_kind(sample_notices(POLICY), "final_notice")
    notice = NoticeRenderer(TEMPLATES, POLICY).render(facts, "en")
    assert notice.subject == "Final notice: ¥25,000.00 overdue, access suspended on 30 December 2026 unless paid"
    for expected in ("Overdue amount: ¥25,000.00 (15 days past", "INV-2026-11-0001, due 30 November 2026: ¥12,500.00",
                     "will be suspended for non-payment on 30 December 2026", "How to pay", "billing@example.cn",
                     "+86 400 000 0000"):
        assert expected in notice.text
    assert "30 December 2026" in notice.html


def test_the_chinese_pre_suspension_notice_names_the_first_allowed_date():
    facts = by_kind(sample_notices(POLICY), "pre_suspension")
    notice = NoticeRenderer(TEMPLATES, POLICY).render(facts, "zh-CN")
    assert "2027年1月6日" in notice.subject and "逾期金额：¥25,000.00（最早一张未付发票已逾期 30 天）" in notice.text
    assert "到期日 2026年11月30日" in notice.text and notice.language == "zh-CN"


def test_html_escapes_the_company_name_and_text_keeps_it_as_written():
    facts = by_kind(sample_notices(POLICY), "reminder")
    notice = NoticeRenderer(TEMPLATES, POLICY).render(facts, "en")
    assert "&lt;示例&gt; Contoso &amp; 上海云帆" in notice.html and "<示例>" not in notice.html
    assert SAMPLE_COMPANY in notice.text


@pytest.fixture
def editable(tmp_path):
    target = tmp_path / "notices"
    shutil.copytree(TEMPLATES, target)
    return target


def test_an_unknown_variable_fails_the_check_naming_the_template_and_variable(editable):
    path = editable / "en" / "reminder.txt"
    path.write_text(path.read_text(encoding="utf-8") + "{{ payment_link }}\n", encoding="utf-8")
    problems = check_templates(NoticeRenderer(editable, POLICY), POLICY)
    assert problems == [f"{editable / 'en' / 'reminder.txt'}: 'payment_link' is undefined"]


def test_a_missing_template_and_a_syntax_error_are_problems(editable):
    (editable / "zh-CN" / "final_notice.html").unlink()
    (editable / "en" / "pre_suspension.subject.txt").write_text("{% if %}", encoding="utf-8")
    problems = check_templates(NoticeRenderer(editable, POLICY), POLICY)
    assert any("zh-CN/final_notice.html: missing template" in p for p in problems)
    assert any("pre_suspension.subject.txt:1:" in p for p in problems)


def test_an_unknown_language_is_refused():
    with pytest.raises(NoticeTemplateError, match="unknown notice language 'fr'"):
        NoticeRenderer(TEMPLATES, POLICY).render(sample_notices(POLICY)[0], "fr")


@pytest.mark.parametrize(("culture", "language"), [("zh-CN", "zh-CN"), ("zh-Hans", "zh-CN"), ("zh-TW", "zh-CN"),
                                                   ("en-US", "en"), ("de-DE", "en"), ("", None), (None, None)])
def test_a_culture_maps_to_the_notice_language(culture, language):
    assert language_of(culture) == language


def test_dates_are_written_for_each_language():
    from datetime import date

    assert format_date(date(2027, 1, 6), "zh-CN") == "2027年1月6日"
    assert format_date(date(2027, 1, 6), "en") == "6 January 2027"
