"""The sentences of the customer-facing collections policy, per language.

Both languages share one document structure (built in `policy_text`) and differ only here, so the Chinese
and the English text say the same thing. Placeholders are filled from the policy file; keep each language's set alike.
"""

from __future__ import annotations

from typing import Final

LANGUAGES: Final = ("zh-CN", "en")

WORDING: Final[dict[str, dict[str, str]]] = {
    "en": {
        "title": "Collections policy: {partner}",
        "intro": "This policy explains when payment is due, what we do when an invoice is not paid on "
        "time, and when non-payment affects your access to the Microsoft cloud services operated "
        "by 21Vianet that you buy from {partner}. All dates are calendar dates in {zone}.",
        "zone_shanghai": "China Standard Time (Beijing time, UTC+8)",
        "zone_other": "the {zone} time zone",
        "terms_heading": "Payment terms",
        "terms_due": "Invoices are due {days} days after the invoice date; the due date is shown on each "
        "invoice.",
        "terms_overdue": "An invoice is overdue from the day after its due date. We count the days past "
        "due from the due date of your oldest overdue invoice.",
        "terms_minimum": "If less than {amount} is overdue in total, none of the steps below is taken.",
        "terms_grace": "The days below already include a grace period of {days} days.",
        "steps_heading": "What happens when an invoice is overdue",
        "stage": "From day {day} after the due date{conditions}: {what}.",
        "cond_amount_invoices": ", if at least {amount} is overdue on at least {count} invoices",
        "cond_amount": ", if at least {amount} is overdue",
        "cond_invoices": ", if at least {count} invoices are overdue",
        "and": "; ",
        "do_reminder": "we send you a payment reminder",
        "do_final": "we send you a final notice before access is suspended",
        "do_notify": "we notify you",
        "do_suspend": "your subscriptions bought through us are suspended for non-payment, and their "
        "services may be unavailable until access is restored",
        "do_still_suspended": "access remains suspended",
        "do_service_request": "we may raise the matter with 21Vianet, the operator of the services in China",
        "no_suspension": "Under this policy, non-payment does not lead to suspension of access.",
        "notice_period": "We never suspend access for non-payment without notice: a notice naming the date of "
        "suspension is sent to you at least {days} days before that date. If you have not had one when the "
        "suspension conditions are met, we send it then and suspend no earlier than the date it names.",
        "notice_period_same_day": "We never suspend access for non-payment without notice: a notice naming the "
        "date of suspension is sent to you no later than that day.",
        "disputes_heading": "Disputes",
        "dispute_how": "If you believe an invoice is wrong or you dispute a charge, tell us at {contact}, "
        "if possible before the due date, with the invoice number and the reason.",
        "dispute_url": "You can also use the form at {url}.",
        "dispute_pause": "While a dispute is open, we do not suspend your access for non-payment. "
        "Reminders may continue.",
        "late_heading": "If you cannot pay on time",
        "late_promise": "Contact us before the due date. We can agree a promise-to-pay date up to {days} "
        "days ahead. Up to and including that date the process stays at the step it has "
        "reached and we do not suspend your access.",
        "late_resume": "If payment has not arrived by the end of that date, the process continues from "
        "where it stood. Days past due always count from the original due date, so a later "
        "step may follow at once.",
        "late_exemption": "In exceptional cases we may pause every step for an agreed period.",
        "restore_heading": "How access is restored",
        "restore_auto": "Access suspended for non-payment is restored automatically once your account no "
        "longer meets the suspension conditions above, for example when the overdue "
        "amount is paid in full. This normally happens within minutes of your payment "
        "being recorded.",
        "restore_partial": "A partial payment does not restore access while the suspension conditions "
        "still hold, for example while {amount} or more remains overdue.",
        "restore_partial_plain": "A partial payment does not restore access while the suspension "
        "conditions still hold.",
        "contact_heading": "Contact",
        "contact_email": "E-mail: {value}",
        "contact_phone": "Phone: {value}",
    },
    "zh-CN": {
        "title": "催收政策：{partner}",
        "intro": "本政策说明付款期限、发票逾期后我们将采取的措施，"
        "以及欠款在何种情况下会影响贵方对通过{partner}购买的、由世纪互联运营的 Microsoft "
        "云服务的使用。文中日期均按{zone}的自然日计算。",
        "zone_shanghai": "北京时间（UTC+8）",
        "zone_other": "{zone} 时区",
        "terms_heading": "付款期限",
        "terms_due": "发票应在开票日后 {days} 天内付清，具体到期日以每张发票所载为准。",
        "terms_overdue": "发票自到期日次日起视为逾期。逾期天数从贵方最早一张逾期发票的到期日起算。",
        "terms_minimum": "逾期总额低于 {amount}时，不会触发以下任何步骤。",
        "terms_grace": "以下天数已包含 {days} 天宽限期。",
        "steps_heading": "逾期后的处理步骤",
        "stage": "到期日后第 {day} 天起{conditions}：{what}。",
        "cond_amount_invoices": "，如逾期金额达到 {amount} 且逾期发票不少于 {count} 张",
        "cond_amount": "，如逾期金额达到 {amount}",
        "cond_invoices": "，如逾期发票不少于 {count} 张",
        "and": "；",
        "do_reminder": "我们将向贵方发送付款提醒",
        "do_final": "我们将向贵方发送暂停服务前的最后通知",
        "do_notify": "我们将通知贵方",
        "do_suspend": "贵方通过我们购买的订阅将因欠款被暂停，恢复之前相关服务可能无法使用",
        "do_still_suspended": "服务保持暂停",
        "do_service_request": "我们可能就此向世纪互联（上述服务在中国的运营方）提交服务请求",
        "no_suspension": "根据本政策，欠款不会导致服务被暂停。",
        "notice_period": "我们不会在未通知的情况下因欠款暂停服务：载明暂停日期的通知将至少提前 {days} 天发送给贵方。"
        "如满足暂停条件时贵方尚未收到此类通知，我们将先发送通知，并且不早于通知所载日期暂停服务。",
        "notice_period_same_day": "我们不会在未通知的情况下因欠款暂停服务："
        "载明暂停日期的通知最迟于暂停当日发送给贵方。",
        "disputes_heading": "争议处理",
        "dispute_how": "如贵方认为发票有误或对某笔费用有异议，请尽量在到期日前通过 {contact} 联系我们，"
        "并注明发票编号和异议理由。",
        "dispute_url": "贵方也可以通过 {url} 提交异议。",
        "dispute_pause": "争议处理期间，我们不会因欠款暂停贵方的服务，但付款提醒可能照常发送。",
        "late_heading": "无法按时付款时",
        "late_promise": "请在到期日前与我们联系。我们可与贵方约定一个承诺付款日期，"
        "该日期最晚不超过约定之日起 {days} 天。在该日期（含当日）之前，"
        "处理步骤将停留在已到达的阶段，我们不会暂停贵方的服务。",
        "late_resume": "如该日期结束时仍未收到付款，处理步骤将从原阶段继续。逾期天数始终从原到期日起算，"
        "因此后续步骤可能随即执行。",
        "late_exemption": "在特殊情况下，我们可能在约定期限内暂停全部催收步骤。",
        "restore_heading": "服务恢复",
        "restore_auto": "当贵方账户不再满足上述暂停条件时（例如逾期金额已全部付清），"
        "因欠款而暂停的服务将自动恢复，通常在付款入账后数分钟内完成。",
        "restore_partial": "如部分付款后仍满足暂停条件（例如逾期金额仍不低于 {amount}），服务不会恢复。",
        "restore_partial_plain": "如部分付款后仍满足暂停条件，服务不会恢复。",
        "contact_heading": "联系我们",
        "contact_email": "电子邮件：{value}",
        "contact_phone": "电话：{value}",
    },
}
