"""What a 21Vianet service request says: a title in plain words and a description 21Vianet can act on.

21Vianet's engineers read these without access to csp-guard, so every request names the customer (tenant id and
company name), the subscriptions concerned, the evidence and csp-guard's case id, in the language of
PARTNER_CENTER_AGENT_LOCALE (zh-CN, else English). Rule ids never reach the title.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from lib.store.cases import Case

MAX_TITLE = 200
STAGE_RULE = "collections_stage"  # the findings entry of a case opened by a policy stage's service_request action

_RULES = {
    "pc_fraud_event": ("Partner Center fraud alert", "Partner Center 欺诈警报"),
    "usage_spike": ("unusual jump in Azure usage", "Azure 用量异常激增"),
    "new_customer_high_spend": ("new customer with unusually high spend", "新客户消费异常偏高"),
    "chargeback": ("payment dispute or chargeback", "付款争议或拒付"),
    "failed_payments_then_spend_jump": ("failed payments followed by a jump in usage", "多次付款失败后用量骤增"),
}
_WORDS = {
    "en": {"fraud": "Suspected fraud", "misuse": "Suspected misuse", "overdue": "Seriously overdue customer",
           "customer": "Customer", "tenant": "tenant id", "case": "csp-guard case", "subscriptions":
           "Subscriptions concerned", "none": "none named", "evidence": "Evidence", "days": "days past due",
           "amount": "overdue", "invoice": "due", "remaining": "remaining"},
    "zh": {"fraud": "疑似欺诈", "misuse": "疑似滥用", "overdue": "客户严重逾期", "customer": "客户",
           "tenant": "租户 ID", "case": "csp-guard 案例编号", "subscriptions": "涉及的订阅", "none": "未指明",
           "evidence": "证据", "days": "逾期天数", "amount": "逾期金额", "invoice": "到期日",
           "remaining": "未付"},
}


@dataclass(frozen=True)
class RequestFacts:
    case: Case
    company_name: str
    subscription_ids: tuple[str, ...]
    locale: str


def request_title(case_id: str, title: str) -> str:
    """The case id leads the title, so Partner Center's own list can tell whether a case was already reported."""
    return f"[{case_id}] {title}"[:MAX_TITLE]


def plain_title(facts: RequestFacts) -> str:
    words = _words(facts.locale)
    zh = words is _WORDS["zh"]
    case = facts.case
    company = facts.company_name or case.customer_id
    stage = _stage_finding(case)
    if stage is not None:
        what = (f"{words['overdue']}：{words['days']} {stage.get('days_past_due')}，{words['amount']} "
                f"{stage.get('overdue_text')}" if zh else
                f"{words['overdue']}: {stage.get('days_past_due')} {words['days']}, {stage.get('overdue_text')} "
                f"{words['amount']}")
    elif case.source.startswith("operator") or not _rules(case):
        what = case.title  # an operator's own words
    else:
        phrases = [rule_phrase(rule, facts.locale) for rule in _rules(case)]
        label = words["misuse"] if case.reason == "misuse" else words["fraud"]
        what = f"{label}：{'；'.join(phrases)}" if zh else f"{label}: {'; '.join(phrases)}"
    return request_title(case.case_id, f"{what}（{company}）" if zh else f"{what} ({company})")


def request_description(facts: RequestFacts) -> str:
    words = _words(facts.locale)
    case = facts.case
    subscriptions = ", ".join(facts.subscription_ids) or words["none"]
    lines = [f"{words['customer']}: {facts.company_name or '-'} ({words['tenant']} {case.customer_id})",
             f"{words['case']}: {case.case_id}",
             f"{words['subscriptions']}: {subscriptions}",
             f"{words['evidence']}:"]
    lines.extend(f"- {line}" for line in evidence_lines(case, words))
    return "\n".join(lines)


def evidence_lines(case: Case, words: dict[str, str] | None = None) -> list[str]:
    words = words or _WORDS["en"]
    stage = _stage_finding(case)
    if stage is not None:
        lines = [f"{words['amount']}: {stage.get('overdue_text')}", f"{words['days']}: {stage.get('days_past_due')}"]
        lines.extend(f"{inv.get('invoice_id')}: {words['invoice']} {inv.get('due_date')}, {words['remaining']} "
                     f"{inv.get('remaining_text')}" for inv in stage.get("invoices") or [])
        return lines
    lines = [case.description.strip()] if case.source.startswith("operator") and case.description.strip() else []
    lines.extend(f"[{f.get('severity')}] {f.get('evidence')}" for f in case.findings if f.get("evidence"))
    if not lines and case.description.strip():
        lines.append(case.description.strip())
    return lines


def concerned_subscriptions(case: Case, held: Iterable[str], every: Sequence[str]) -> tuple[str, ...]:
    """The findings' subscriptions and those csp-guard holds a reason on for this case; failing both, all the
    customer's subscriptions (an operator's report, or non-payment, concerns the whole account)."""
    named = [str(f["subscription_id"]) for f in case.findings if f.get("subscription_id")]
    chosen = list(dict.fromkeys([*named, *held]))
    return tuple(chosen or every)


def rule_phrase(rule_id: str, locale: str = "en") -> str:
    """A fraud rule in plain words ("unusual jump in Azure usage"), for titles people read."""
    en, zh = _RULES.get(rule_id, (rule_id.replace("_", " "),) * 2)
    return zh if locale.lower().startswith("zh") else en


def _rules(case: Case) -> list[str]:
    return list(dict.fromkeys(str(f["rule_id"]) for f in case.findings if f.get("rule_id")))


def _stage_finding(case: Case) -> dict[str, Any] | None:
    return next((f for f in case.findings if f.get("rule_id") == STAGE_RULE), None)


def _words(locale: str) -> dict[str, str]:
    return _WORDS["zh"] if locale.lower().startswith("zh") else _WORDS["en"]
