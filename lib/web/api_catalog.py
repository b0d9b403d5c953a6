"""What each HTTP route does, for the OpenAPI document. A test keeps this in step with the registrations.

Each entry: (method, route as registered, operation id, summary, auth, request schema or None, responses).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PROBLEM = {"$ref": "#/components/schemas/Problem"}


@dataclass(frozen=True)
class Operation:
    method: str
    route: str
    operation_id: str
    summary: str
    auth: str  # anonymous | operator | signature
    request: dict[str, Any] | None = None
    responses: dict[str, str] = field(default_factory=dict)
    response_schema: dict[str, Any] | None = None
    query: tuple[tuple[str, str], ...] = ()  # (name, description)
    # The registered template that answers this URL when it is not `route` itself: one function dispatching inside,
    # because the host allows only one function per method and path.
    served_by: str | None = None


HEALTH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["status", "components"],
    "additionalProperties": False,
    "properties": {
        "status": {"enum": ["ok", "degraded", "down"]},
        "components": {"type": "object", "additionalProperties": {"enum": ["ok", "degraded", "down"]}},
    },
}
STATUS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["status", "version", "components", "timers"],
    "properties": {
        "status": {"enum": ["ok", "degraded", "down"]},
        "version": {"type": "string"},
        "components": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["status"], "properties": {"status": {"enum": ["ok", "degraded", "down"]}}}},
        "timers": {"type": "object", "additionalProperties": {"type": ["object", "null"]}},
    },
}

CANONICAL_EVENT: dict[str, Any] = {
    "type": "object", "required": ["type", "timestamp", "data"],
    "properties": {
        "type": {"type": "string", "examples": ["invoice.issued", "payment.succeeded", "dispute.opened"]},
        "timestamp": {"type": "string", "format": "date-time"},
        "data": {"type": "object", "required": ["customer_id"], "properties": {
            "customer_id": {"type": "string", "format": "uuid"},
            "invoice_id": {"type": "string"}, "payment_id": {"type": "string"}, "dispute_id": {"type": "string"},
            "amount": {"type": "integer", "minimum": 0, "description": "minor units (fen)"},
            "currency": {"type": "string", "examples": ["CNY"]},
            "issued_at": {"type": "string", "format": "date-time"}, "due_at": {"type": "string", "format": "date-time"},
            "paid_at": {"type": "string", "format": "date-time"}, "outcome": {"enum": ["won", "lost"]}}},
    },
}
WEBHOOK_RESULT: dict[str, Any] = {"type": "object", "properties": {
    "status": {"enum": ["recorded", "duplicate", "ignored", "unmatched"]}, "customer_id": {"type": "string"}}}
CUSTOMER_ID = {"type": "object", "required": ["customer_id"],
               "properties": {"customer_id": {"type": "string", "format": "uuid"}}}

SUSPEND_BODY: dict[str, Any] = {
    "type": "object", "required": ["reason"],
    "properties": {"reason": {"enum": ["non_payment", "fraud", "misuse", "manual"]},
                   "note": {"type": "string", "maxLength": 2000},
                   "subscription_ids": {"type": "array", "items": {"type": "string"}, "minItems": 1}}}
RESTORE_BODY: dict[str, Any] = {
    "type": "object", "required": ["reason"],
    "properties": {"reason": {"enum": ["non_payment", "fraud", "misuse", "manual"]},
                   "note": {"type": "string", "maxLength": 2000}}}
HOLD_BODY: dict[str, Any] = {
    "type": "object", "required": ["kind", "until"],
    "properties": {"kind": {"enum": ["exemption", "promise_to_pay"]},
                   "until": {"type": "string", "format": "date"}, "note": {"type": "string"}}}
PAYERS_BODY: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "properties": {"accounts": {"type": "array", "maxItems": 50, "items": {"type": "string"},
                                "description": "bank account numbers; spaces and dashes are ignored"},
                   "names": {"type": "array", "maxItems": 50, "items": {"type": "string", "maxLength": 100},
                             "description": "payer names; compared without width, case, spaces or company form"}}}
PAYERS: dict[str, Any] = {
    "type": "object", "required": ["customer_id", "accounts", "names"],
    "properties": {"customer_id": {"type": "string"}, "accounts": {"type": "array", "items": {"type": "string"}},
                   "names": {"type": "array", "items": {"type": "string"}},
                   "updated_by": {"type": ["string", "null"]},
                   "updated_at": {"type": ["string", "null"], "format": "date-time"}}}
AS_OF = (("as_of", "evaluate as of this date (YYYY-MM-DD, noon in the policy's zone) or timestamp"),)

CONTACTS_BODY: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "properties": {"to": {"type": "array", "items": {"type": "string", "format": "email"}, "maxItems": 20},
                   "cc": {"type": "array", "items": {"type": "string", "format": "email"}, "maxItems": 20},
                   "language": {"enum": ["zh-CN", "en", None]}}}
NOTICE_OPERATIONS: list[Operation] = [
    Operation("GET", "customers/{customer_id}/notices", "listCustomerNotices",
              "Every notice for the customer: stage, language, recipients, status, times", "operator",
              responses={"200": "the notices, oldest first", "400": "bad customer id"}),
    Operation("GET", "customers/{customer_id}/notices/preview", "previewNotice",
              "The notice the customer would get now for a stage (or pre_suspension), rendered; sends nothing",
              "operator", query=(("stage", "a stage of the policy, or pre_suspension"), ("lang", "zh-CN or en")),
              responses={"200": "subject, text, HTML and facts", "400": "bad stage or language",
                         "404": "unknown customer"}),
    Operation("GET", "notices", "listNotices", "Notices across customers, e.g. every failed one", "operator",
              query=(("status", "recorded, queued, sending, sent or failed"),), responses={"200": "the notices"}),
    Operation("PUT", "customers/{customer_id}/contacts", "putContacts",
              "Who receives the customer's notices (empty to: the billing profile's e-mail), and in which language",
              "operator", request=CONTACTS_BODY, responses={"200": "the contacts saved", "400": "bad body"}),
]

OPERATIONS: list[Operation] = [
    Operation("GET", "health", "getHealth",
              "ok, degraded or down for each component (storage, policy, timers, queue, Partner Center) and overall; "
              "nothing else", "anonymous", responses={"200": "ok or degraded", "503": "storage is down"},
              response_schema=HEALTH_SCHEMA),
    Operation("GET", "status", "getStatus",
              "The details behind health: each timer's last run with counts and errors, poison messages, policy "
              "problems, Partner Center errors, what suspensions put at risk", "operator",
              responses={"200": "ok or degraded", "503": "storage is down"}, response_schema=STATUS_SCHEMA),
    Operation("GET", "openapi.json", "getOpenApi", "This document", "anonymous", responses={"200": "OpenAPI 3.1"}),
    Operation("POST", "webhooks/{provider}", "postBillingWebhook",
              "A billing provider's signed event (standard: Standard Webhooks; stripe: Stripe-Signature; "
              "wechatpay: WeChat Pay API v3 notification, answered 204 or {code: FAIL}; alipay: form-encoded "
              "asynchronous notification, answered text/plain success or failure)",
              "signature", request=CANONICAL_EVENT, response_schema=WEBHOOK_RESULT,
              responses={"200": "recorded, duplicate, ignored or unmatched (alipay: success)",
                         "204": "wechatpay: handled, duplicates included", "400": "bad body (names the field)",
                         "401": "bad or missing signature, or timestamp outside the window",
                         "404": "unknown provider, or a channel whose settings are absent",
                         "413": "body over 256 KiB",
                         "422": "the event contradicts the customer's book (e.g. another currency)"}),
    Operation("POST", "webhooks/partner-center", "postPartnerCenterWebhook",
              "Partner Center's own events (azure-fraud-event-detected, subscription updates), signed with the "
              "certificate at X-MS-Certificate-Url", "signature",
              request={"type": "object", "required": ["EventName"],
                       "properties": {"EventName": {"type": "string"}, "ResourceUri": {"type": "string"},
                                      "ResourceName": {"type": "string"},
                                      "ResourceChangeUtcDate": {"type": "string"}}},
              responses={"200": "processed or ignored", "400": "not an event",
                         "401": "signature, algorithm or certificate not acceptable"},
              served_by="webhooks/{provider}"),
    Operation("GET", "unmatched", "listUnmatched", "Verified events with no customer mapping", "operator",
              query=(("status", "open (default), assigned or all"),), responses={"200": "the events"}),
    Operation("POST", "unmatched/{provider}/{event_id}/assign", "assignUnmatched",
              "Assign an unmatched event to a customer and record it", "operator", request=CUSTOMER_ID,
              responses={"200": "recorded (or duplicate)", "400": "bad customer id", "404": "no such event",
                         "409": "already assigned to another customer"}),
    Operation("GET", "customers/{customer_id}", "getCustomer",
              "Balance, overdue, aging, disputes, stage, hold and the last 20 ledger entries", "operator",
              responses={"200": "the customer", "400": "malformed customer id", "404": "unknown customer"}),
    Operation("GET", "policy", "getPolicy",
              "The collections policy in force, and its customer-facing text (zh-CN and en)", "operator",
              query=(("format", "json (default), md or html"), ("lang", "zh-CN (default) or en")),
              responses={"200": "the policy", "400": "unknown format or language"}),
    Operation("POST", "customers/{customer_id}/suspend", "suspendCustomer",
              "Suspend the customer's active subscriptions (or the listed ones) for a reason", "operator",
              request=SUSPEND_BODY, responses={"202": "the action, with its id and per-subscription outcome",
                                               "400": "unknown reason, malformed id or body",
                                               "404": "customer or subscription unknown to Partner Center"}),
    Operation("POST", "customers/{customer_id}/restore", "restoreCustomer",
              "Remove a reason; restore only what csp-guard suspended and whose reasons are now empty", "operator",
              request=RESTORE_BODY, responses={"202": "the action", "400": "unknown reason or bad body"}),
    Operation("PUT", "customers/{customer_id}/hold", "putHold",
              "Exemption or promise-to-pay until a date (inclusive, in the policy's time zone)", "operator",
              request=HOLD_BODY, responses={"200": "the hold in force", "400": "bad kind or date",
                                            "404": "unknown customer"}),
    Operation("DELETE", "customers/{customer_id}/hold", "deleteHold", "End the customer's hold", "operator",
              responses={"200": "no hold", "404": "unknown customer"}),
    Operation("POST", "scan", "runScan", "Run the delinquency scan now (same code as the timer)", "operator",
              query=AS_OF, responses={"200": "the run's report", "409": "a scan is already running"}),
    Operation("GET", "scan/preview", "previewScan", "What a scan would change now, and why; changes nothing",
              "operator", query=AS_OF, responses={"200": "the changes", "400": "bad as_of"}),
    Operation("POST", "customers/{customer_id}/service-requests", "requestService",
              "Open (or reuse) a fraud/misuse case and queue its 21Vianet service request", "operator",
              request={"type": "object", "required": ["title", "description"],
                       "properties": {"title": {"type": "string"}, "description": {"type": "string"},
                                      "severity": {"enum": ["Minimal", "Moderate", "Critical",
                                                            "minimal", "moderate", "critical"]},
                                      "reason": {"enum": ["fraud", "misuse"]}, "case_id": {"type": "string"}}},
              responses={"202": "the case id; queued, or recorded/proposed when the write gate holds it back "
                                "(`queued`, `gate`)", "400": "bad body", "404": "unknown case"}),
    Operation("GET", "cases", "listCases", "Fraud and misuse investigations", "operator",
              query=(("status", "open, reported, resolved, confirmed, needs_manual_report or test"),),
              responses={"200": "the cases"}),
    Operation("GET", "cases/{customer_id}/{case_id}", "getCase", "One case, its findings and service request",
              "operator", responses={"200": "the case", "404": "no such case"}),
    Operation("POST", "cases/{customer_id}/{case_id}/resolve", "resolveCase",
              "End a case: cleared lifts its suspension reason through the suspension rules; confirmed keeps it",
              "operator", request={"type": "object", "required": ["outcome"],
                                   "properties": {"outcome": {"enum": ["cleared", "confirmed"]},
                                                  "note": {"type": "string"}}},
              responses={"200": "the closed case", "400": "bad outcome", "404": "no such case",
                         "409": "already closed"}),
    Operation("GET", "reports/suspensions", "getSuspensionCosts",
              "What each suspension costs: days suspended, term end, still billed, data at risk", "operator",
              responses={"200": "the suspensions and their warnings"}),
    Operation("GET", "reports/aging", "getAgingReport",
              "Receivables by age bucket and by stage, per currency", "operator",
              query=(("format", "json (default) or csv"),), responses={"200": "the report"}),
    Operation("PUT", "customers/{customer_id}/payers", "putPayers",
              "Replace the bank accounts and payer names that identify the customer's transfers", "operator",
              request=PAYERS_BODY, response_schema=PAYERS,
              responses={"200": "what is stored", "400": "a bad account, name or body (names the field)",
                         "409": "an account or name already identifies another customer"}),
    Operation("GET", "customers/{customer_id}/payers", "getPayers",
              "The bank accounts and payer names registered for the customer", "operator", response_schema=PAYERS,
              responses={"200": "what is stored (empty lists when nothing is)", "400": "malformed customer id"}),
    *NOTICE_OPERATIONS,
]

# The console (lib/web/console): HTML pages and form posts for a browser. Anonymous to the host, because a browser
# never holds a function key; the console itself requires Easy Auth's operator role (Azure) or the development key
# (a signed session cookie), and a script may send x-functions-key. Errors are problem+json unless HTML is accepted.
CONSOLE_PAGE = {"200": "the page (text/html)", "401": "not signed in (a browser gets the sign-in form)",
                "403": "no operator role, or the console is closed"}
CONSOLE_FORM = {"303": "done; redirects to the page", "400": "a bad field (names it)",
                "401": "not signed in", "403": "the session's token is missing or wrong, or another origin",
                "404": "no such customer, case or event", "409": "already done otherwise"}
OPERATIONS += [
    Operation("GET", "console", "consoleAtRisk", "Console: customers at risk, filtered (stage) and sorted "
              "(sort=days|overdue|name); with HX-Request only the rows", "operator",
              query=(("stage", "a stage of the policy"), ("sort", "days (default), overdue or name"),
                     ("lang", "zh-CN or en: sets the language cookie and redirects"),
                     ("code", "the development key, once: sets the session cookie and redirects without it")),
              responses=CONSOLE_PAGE),
    Operation("GET", "console/customers/{customer_id}", "consoleCustomer",
              "Console: one customer (ledger, actions, subscriptions, hold, cases, payers)", "operator",
              responses={**CONSOLE_PAGE, "400": "malformed customer id", "404": "unknown customer"}),
    Operation("POST", "console/customers/{customer_id}/hold", "consoleHold",
              "Console form: set a hold (kind, until, note) or end it (end=1)", "operator", responses=CONSOLE_FORM),
    Operation("GET", "console/cases", "consoleCases", "Console: fraud and misuse cases", "operator",
              query=(("status", "open, reported, resolved or confirmed"),), responses=CONSOLE_PAGE),
    Operation("POST", "console/cases/{customer_id}/{case_id}/resolve", "consoleResolveCase",
              "Console form: resolve a case (outcome cleared|confirmed, note)", "operator", responses=CONSOLE_FORM),
    Operation("GET", "console/unmatched", "consoleUnmatched", "Console: payments waiting for a customer", "operator",
              responses=CONSOLE_PAGE),
    Operation("POST", "console/unmatched/{provider}/{event_id}/assign", "consoleAssignUnmatched",
              "Console form: assign an unmatched payment to a customer (customer_id, note)", "operator",
              responses=CONSOLE_FORM),
    Operation("GET", "console/policy", "consolePolicy", "Console: the published collections policy", "operator",
              responses=CONSOLE_PAGE),
    Operation("GET", "console/runs", "consoleRuns",
              "Console: the last runs of each job (the scan, its queue function, sweeps, polls, reconcile)",
              "operator", responses=CONSOLE_PAGE),
    Operation("GET", "console/login", "consoleLoginForm", "Console: the sign-in form (development key)",
              "operator", responses={"303": "signed in already", "401": "the form"}),
    Operation("POST", "console/login", "consoleLogin",
              "Console form: sign in with the development key (key, name, next)", "anonymous",
              responses={"303": "signed in: session cookie set", "401": "wrong key: the form again",
                         "403": "the console is closed, or another origin"}),
    Operation("POST", "console/logout", "consoleLogout", "Console form: sign out", "operator",
              responses={"303": "signed out", "403": "the session's token is missing or wrong"}),
    Operation("GET", "console/static/{asset}", "consoleAsset",
              "Console static file by fingerprinted name (Cache-Control immutable, ETag)", "anonymous",
              responses={"200": "the file", "304": "not modified", "404": "no such file"}),
]

# Review mode (ENFORCEMENT_MODE=review): the writes the scan and the fraud rules would make, waiting for a person.
NOTE_BODY: dict[str, Any] = {"type": "object", "additionalProperties": False,
                             "properties": {"note": {"type": "string", "maxLength": 2000}}}
OPERATIONS += [
    Operation("GET", "proposals", "listProposals",
              "Review mode's proposals: customer, reason, write, evidence, stage facts, who made them and when, and "
              "the decision", "operator", query=(("status", "open (default), approved, rejected, lapsed or all"),),
              responses={"200": "the proposals, oldest first", "400": "unknown status"}),
    Operation("POST", "proposals/{customer_id}/{proposal_id}/approve", "approveProposal",
              "Approve: re-check the fresh book, the hold, the notice period (or that the case is still open), then "
              "write at once as the approving operator", "operator", request=NOTE_BODY,
              responses={"200": "approved, with the write's action", "404": "no such proposal",
                         "409": "stale-proposal (it has lapsed) or proposal-closed (decided already)"}),
    Operation("POST", "proposals/{customer_id}/{proposal_id}/reject", "rejectProposal",
              "Reject with a note (required)", "operator",
              request={**NOTE_BODY, "required": ["note"]},
              responses={"200": "rejected", "400": "the note is missing", "404": "no such proposal",
                         "409": "proposal-closed (decided already)"}),
    Operation("GET", "console/proposals", "consoleProposals",
              "Console: proposals to approve or reject (status=open by default)", "operator",
              query=(("status", "open (default), approved, rejected, lapsed or all"),), responses=CONSOLE_PAGE),
    Operation("POST", "console/proposals/{customer_id}/{proposal_id}/decide", "consoleDecideProposal",
              "Console form: approve or reject a proposal (decision=approve|reject, note; a reject needs a note)",
              "operator", responses=CONSOLE_FORM),
]
