"""The console's words in zh-CN and en. A missing translation is a test failure, not an English fallback."""

from __future__ import annotations

from collections.abc import Callable, Mapping

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"

MESSAGES: dict[str, tuple[str, str]] = {  # key: (zh-CN, en)
    "app": ("催收工作台", "Collections desk"),
    "nav.at_risk": ("风险客户", "At risk"),
    "nav.cases": ("调查案件", "Cases"),
    "nav.unmatched": ("未匹配付款", "Unmatched payments"),
    "nav.policy": ("催收政策", "Policy"),
    "lang.switch": ("English", "中文"),
    "signed_in_as": ("当前操作员", "Signed in as"),
    "sign_out": ("退出", "Sign out"),
    "at_risk.title": ("风险客户", "Customers at risk"),
    "at_risk.empty": ("没有逾期或处于催收阶段的客户。", "No customer is overdue or in a collections stage."),
    "filter.stage": ("阶段", "Stage"),
    "filter.all": ("全部", "All"),
    "filter.sort": ("排序", "Sort by"),
    "filter.apply": ("应用", "Apply"),
    "sort.days": ("逾期天数", "Days past due"),
    "sort.overdue": ("逾期金额", "Overdue amount"),
    "sort.name": ("公司名称", "Company name"),
    "col.company": ("公司", "Company"),
    "col.stage": ("阶段", "Stage"),
    "col.overdue": ("逾期金额", "Overdue"),
    "col.days": ("逾期天数", "Days past due"),
    "col.suspension": ("暂停日期", "Suspension"),
    "col.hold": ("暂缓", "Hold"),
    "suspension.done": ("已暂停", "suspended"),
    "suspension.withheld": ("暂不执行", "withheld"),
    "suspension.none": ("—", "—"),
    "name.unknown": ("（Partner Center 中无此客户）", "(not known to Partner Center)"),
    "name.pending": ("（名称待获取）", "(name not fetched yet)"),
    "stage.current": ("正常", "current"),
    "stage.reminder": ("提醒", "reminder"),
    "stage.final_notice": ("最终通知", "final notice"),
    "stage.suspension": ("暂停", "suspension"),
    "hold.exemption": ("豁免", "exemption"),
    "hold.promise_to_pay": ("承诺付款", "promise to pay"),
    "hold.until": ("至", "until"),
    "customer.title": ("客户", "Customer"),
    "customer.balance": ("余额", "Balance"),
    "customer.overdue": ("逾期", "Overdue"),
    "customer.oldest_due": ("最早到期日", "Oldest due date"),
    "customer.disputes": ("未结争议", "Open disputes"),
    "customer.ledger": ("账目时间线", "Ledger timeline"),
    "customer.actions": ("操作记录", "Actions"),
    "customer.subscriptions": ("订阅", "Subscriptions"),
    "customer.cases": ("案件", "Cases"),
    "customer.payers": ("付款人", "Payers"),
    "customer.hold": ("暂缓", "Hold"),
    "customer.no_hold": ("无暂缓。", "No hold."),
    "customer.none": ("无。", "None."),
    "ledger.time": ("时间", "Time"),
    "ledger.kind": ("类型", "Kind"),
    "ledger.id": ("编号", "Id"),
    "ledger.amount": ("金额", "Amount"),
    "ledger.invoice": ("发票", "Invoice"),
    "sub.id": ("订阅", "Subscription"),
    "sub.offer": ("产品", "Offer"),
    "sub.status": ("状态", "Status"),
    "sub.reasons": ("暂停原因", "Suspension reasons"),
    "sub.ours": ("由 csp-guard 暂停", "Suspended by csp-guard"),
    "action.time": ("时间", "Time"),
    "action.kind": ("操作", "Action"),
    "action.reason": ("原因", "Reason"),
    "action.actor": ("操作人", "Actor"),
    "action.status": ("状态", "Status"),
    "action.note": ("备注", "Note"),
    "payers.accounts": ("银行账号", "Bank accounts"),
    "payers.names": ("付款人名称", "Payer names"),
    "hold.set": ("设置暂缓", "Set hold"),
    "hold.kind": ("类型", "Kind"),
    "hold.note": ("备注", "Note"),
    "hold.end": ("结束暂缓", "End hold"),
    "hold.end_confirm": ("确定结束该客户的暂缓吗？", "End this customer's hold?"),
    "hold.saved": ("暂缓已保存。", "Hold saved."),
    "hold.ended": ("暂缓已结束。", "Hold ended."),
    "cases.title": ("欺诈与滥用调查", "Fraud and misuse cases"),
    "cases.empty": ("没有案件。", "No cases."),
    "case.customer": ("客户", "Customer"),
    "case.title": ("标题", "Title"),
    "case.reason": ("原因", "Reason"),
    "case.status": ("状态", "Status"),
    "case.severity": ("严重性", "Severity"),
    "case.service_request": ("21Vianet 服务请求", "21Vianet service request"),
    "case.findings": ("发现", "Findings"),
    "case.resolve": ("结案", "Resolve"),
    "case.outcome": ("结论", "Outcome"),
    "case.cleared": ("排除嫌疑（解除该案件的暂停）", "cleared (lifts this case's suspension)"),
    "case.confirmed": ("确认（保持暂停）", "confirmed (keeps the suspension)"),
    "case.resolve_confirm": ("确定以所选结论结案吗？", "Close the case with the chosen outcome?"),
    "case.resolved": ("案件已结案。", "Case closed."),
    "unmatched.title": ("未匹配的付款", "Unmatched payments"),
    "unmatched.empty": ("没有待分配的付款。", "No payment is waiting for a customer."),
    "unmatched.provider": ("来源", "Source"),
    "unmatched.event": ("事件", "Event"),
    "unmatched.type": ("类型", "Type"),
    "unmatched.amount": ("金额", "Amount"),
    "unmatched.received": ("收到时间", "Received"),
    "unmatched.details": ("原始内容", "As received"),
    "unmatched.customer": ("客户", "Customer"),
    "unmatched.note": ("备注", "Note"),
    "unmatched.assign": ("分配", "Assign"),
    "unmatched.assign_confirm": ("确定将这笔付款记入所选客户吗？", "Record this payment for the chosen customer?"),
    "unmatched.assigned": ("付款已分配给客户。", "The payment was assigned to the customer."),
    "policy.title": ("已发布的催收政策", "The published collections policy"),
    "login.title": ("登录催收工作台", "Sign in to the collections desk"),
    "login.key": ("开发密钥", "Development key"),
    "login.name": ("您的姓名（记入审计）", "Your name (for the audit trail)"),
    "login.submit": ("登录", "Sign in"),
    "login.wrong": ("密钥不正确。", "That key is not right."),
    "error.title": ("出错了", "Something went wrong"),
    "error.back": ("返回风险客户列表", "Back to the customers at risk"),
    "closed.title": ("工作台未开放", "The console is closed"),
}


def translator(lang: str) -> Callable[[str], str]:
    column = LANGUAGES.index(lang) if lang in LANGUAGES else LANGUAGES.index(DEFAULT_LANGUAGE)

    def translate(key: str) -> str:
        return MESSAGES[key][column]

    return translate


def choose_language(query: Mapping[str, str], cookie: str | None) -> str:
    for candidate in (query.get("lang"), cookie):
        if candidate in LANGUAGES:
            return str(candidate)
    return DEFAULT_LANGUAGE
