"""`csp-guard policy check` for notices: every template a scan could need, rendered against a sample book.

The sample book owes enough on enough invoices for every stage's conditions, so each notice is rendered with the
facts the policy would really produce on the day its stage is reached. A missing template, a syntax error or an
unknown variable is a problem, reported before a customer could be sent a broken notice.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from lib.domain.notice_facts import PRE_SUSPENSION, STAGE_NOTICE, NoticeFacts, local_noon, notice_facts
from lib.domain.policy import SUSPEND, CollectionsPolicy
from lib.domain.summary import LedgerSummary, OpenInvoice
from lib.notices.render import LANGUAGES, NoticeRenderer, NoticeTemplateError

SAMPLE_CUSTOMER = "00000000-0000-4000-8000-000000000001"
SAMPLE_COMPANY = "<示例> Contoso & 上海云帆科技有限公司"  # markup in a name must come out escaped in HTML
SAMPLE_DUE = date(2026, 11, 30)


def sample_book(policy: CollectionsPolicy) -> LedgerSummary:
    count = max([2, *(s.min_unpaid_invoices for s in policy.stages)])
    amount = max([1_250_000, policy.minimum_overdue, *(s.min_overdue for s in policy.stages)])
    due = datetime.combine(SAMPLE_DUE, time(23, 59, 59), tzinfo=policy.zone)
    invoices = tuple(OpenInvoice(due, f"INV-2026-11-{n:04d}", amount) for n in range(1, count + 1))
    return LedgerSummary(currency=policy.currency, balance=amount * count, open_invoices=invoices)


def sample_notices(policy: CollectionsPolicy) -> list[NoticeFacts]:
    """One notice per stage with `notify`, and the pre-suspension notice if any stage suspends."""
    book = sample_book(policy)
    facts = []
    for stage in policy.stages:
        day = SAMPLE_DUE + timedelta(days=stage.days_past_due + policy.grace_days)
        as_of = local_noon(day, policy)
        if "notify" in stage.actions:
            facts.append(notice_facts(policy, SAMPLE_CUSTOMER, SAMPLE_COMPANY, book, stage=stage.name,
                                      kind=STAGE_NOTICE, as_of=as_of))
        if SUSPEND in stage.actions and not any(f.kind == PRE_SUSPENSION for f in facts):
            facts.append(notice_facts(policy, SAMPLE_CUSTOMER, SAMPLE_COMPANY, book, stage=stage.name,
                                      kind=PRE_SUSPENSION, as_of=as_of))
    return facts


def check_templates(renderer: NoticeRenderer, policy: CollectionsPolicy) -> list[str]:
    problems: list[str] = []
    for facts in sample_notices(policy):
        for lang in LANGUAGES:
            try:
                renderer.render(facts, lang)
            except NoticeTemplateError as exc:
                problems.append(str(exc))
    return problems
