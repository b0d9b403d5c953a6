"""The composition root: settings and the adapters built from them, created lazily once per process.

Nothing connects at import time, so tests can set the environment first and `func start` indexes the app
without touching storage.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from lib.domain.policy import CollectionsPolicy
from lib.domain.policy_file import load_policy
from lib.domain.summary import LedgerSummary
from lib.partner_center.client import PartnerCenterClient
from lib.partner_center.factory import build_client
from lib.partner_center.webhook_certificates import WebhookCertificates
from lib.partner_center.webhook_signature import PartnerCenterWebhookVerifier
from lib.services.agenda_filing import AgendaFiling
from lib.services.agenda_refiling import ScanRefiling
from lib.services.assign_unmatched import UnmatchedAssignment
from lib.services.collections import CollectionsEnforcer
from lib.services.console_at_risk import at_risk_ids
from lib.services.console_desk import DeskActions
from lib.services.customer_names import CustomerNames
from lib.services.delinquency_scan import DelinquencyScan, ScanSettings
from lib.services.due_customers import DueCustomers
from lib.services.fraud_detection import FraudDetection
from lib.services.fraud_poll import FraudPoll
from lib.services.fraud_poll_budget import FraudPollBudget, run_interval
from lib.services.full_sweep import FullSweep
from lib.services.import_statement import StatementImport
from lib.services.ingest_event import LedgerIngestion
from lib.services.notice_addressing import NoticeAddressing
from lib.services.notice_outbox import NoticeOutbox
from lib.services.ops_alerts import AlertCallback, LoggingOpsAlerts, OpsAlerts
from lib.services.partner_center_events import PartnerCenterEvents
from lib.services.payers import PayerDirectory
from lib.services.prevention_budgets import DefaultBudgets
from lib.services.proposal_recording import TableProposals
from lib.services.proposals import ProposalDesk
from lib.services.reconcile import Reconciler
from lib.services.scan_agenda import AgendaScan, RowSource
from lib.services.send_notice import Alert, NoticeSender
from lib.services.service_requests import ServiceRequestService
from lib.services.stage_service_request import StageServiceRequests
from lib.services.suspension import SuspensionService
from lib.services.write_gate import WriteGate
from lib.settings import Settings, get_settings
from lib.store.accounts import AccountRow, Accounts
from lib.store.actions import Actions
from lib.store.agenda import Agenda
from lib.store.bank_transfers import TransferLog
from lib.store.cases import Cases
from lib.store.companies import Companies
from lib.store.contacts import ContactBook
from lib.store.leases import CustomerLocks, Leases
from lib.store.ledger import LedgerBook
from lib.store.notices import Notices
from lib.store.payers import PayerIndex
from lib.store.proposals import Proposals
from lib.store.queues import MessageQueue
from lib.store.run_budgets import SharedSuspensionBudget
from lib.store.runs import RunLog
from lib.store.subscriptions import Subscriptions
from lib.store.tables import TableStore
from lib.store.unmatched import UnmatchedEvents
from lib.store.usage_history import UsageHistory
from lib.store.usage_reads import UsageReads
from lib.store.watermarks import Watermarks


@dataclass
class AppContext:
    settings: Settings
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _tables: TableStore | None = field(default=None, repr=False)
    _queues: dict[str, MessageQueue] = field(default_factory=dict, repr=False)
    _policy: CollectionsPolicy | None = field(default=None, repr=False)
    _ledger: LedgerBook | None = field(default=None, repr=False)
    _accounts: Accounts | None = field(default=None, repr=False)
    _partner_center: PartnerCenterClient | None = field(default=None, repr=False)
    _service_requests_service: ServiceRequestService | None = field(default=None, repr=False)
    _pc_verifier: PartnerCenterWebhookVerifier | None = field(default=None, repr=False)
    # What "now" is for decisions made outside a scan (the payment hook); replaced only by scenario tests that
    # replay a collections timeline.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC), repr=False)
    # Where operators' alerts go: set by tests; otherwise Apprise when OPS_ALERT_URLS is set, else the log.
    ops_alert: Alert | None = field(default=None, repr=False)
    _ops_alerts: OpsAlerts | None = field(default=None, repr=False)

    @property
    def tables(self) -> TableStore:
        if self._tables is None:
            with self._lock:
                if self._tables is None:
                    store = TableStore.from_settings(self.settings.storage, self.settings.table_prefix)
                    store.ensure_tables()
                    self._tables = store
        return self._tables

    @property
    def service_requests(self) -> MessageQueue:
        return self._queue(self.settings.service_requests_queue)

    def _queue(self, name: str) -> MessageQueue:
        """One client per queue for the process, the queue and its poison queue created on first use."""
        queue = self._queues.get(name)
        if queue is None:
            with self._lock:
                queue = self._queues.get(name)
                if queue is None:
                    queue = MessageQueue.from_settings(self.settings.storage, name)
                    queue.ensure()
                    self._queues[name] = queue
        return queue

    @property
    def runs(self) -> RunLog:
        return RunLog(self.tables.table("runs"))

    @property
    def policy(self) -> CollectionsPolicy:
        if self._policy is None:
            self._policy = load_policy(self.settings.collections_policy)
        return self._policy

    @property
    def ledger(self) -> LedgerBook:
        # One per process: it caches recently used books, validated by ETag on every write.
        if self._ledger is None:
            with self._lock:
                if self._ledger is None:
                    self._ledger = LedgerBook(self.tables.table("ledger"))
        return self._ledger

    @property
    def accounts(self) -> Accounts:
        if self._accounts is None:
            with self._lock:
                if self._accounts is None:
                    self._accounts = Accounts(self.tables.table("accounts"),
                                              on_change=lambda cid: self.agenda_filing().after_event(cid))
        return self._accounts

    @property
    def unmatched(self) -> UnmatchedEvents:
        return UnmatchedEvents(self.tables.table("unmatched"))

    @property
    def subscriptions(self) -> Subscriptions:
        return Subscriptions(self.tables.table("subscriptions"))

    @property
    def actions(self) -> Actions:
        return Actions(self.tables.table("actions"))

    @property
    def leases(self) -> Leases:
        return Leases(self.tables.table("runs"))

    @property
    def partner_center(self) -> PartnerCenterClient:
        if self._partner_center is None:
            with self._lock:
                if self._partner_center is None:
                    self._partner_center = build_client(self.settings.partner_center)
        return self._partner_center

    def suspension(self) -> SuspensionService:
        accounts = self.accounts

        def reason_changed(customer_id: str, reason: str, held: bool) -> None:
            if reason == "non_payment":
                accounts.mark_suspended_for_non_payment(customer_id, held)

        return SuspensionService(self.partner_center, self.write_gate(), self.subscriptions, self.actions,
                                 CustomerLocks(self.leases), on_reason_change=reason_changed)

    def write_gate(self) -> WriteGate:
        """The one gate in front of every Partner Center write (DESIGN.md, One write gate)."""
        return WriteGate(self.partner_center, TableProposals(self.proposals, self.actions),
                         mode=self.settings.enforcement_mode, paused=self.settings.enforcement_paused)

    def enforcer(self) -> CollectionsEnforcer:
        stage_requests = StageServiceRequests(self.policy, self.cases, self.service_requests_service)
        return CollectionsEnforcer(self.policy, self.ledger, self.accounts, self.actions, self.suspension(),
                                   stage_requests=stage_requests, clock=self.clock,
                                   notices=self.notice_outbox(), alerts=self.ops_alerts)

    def full_scan(self, rows: RowSource | None = None) -> DelinquencyScan:
        """The scan's decide-and-act step over `rows` (default: the whole index)."""
        return DelinquencyScan(self.policy, self.accounts, self.enforcer(), self.leases, self.runs,
                               ScanSettings(max_suspensions=self.settings.max_suspensions_per_run),
                               notices=self.notice_outbox(), rows=rows, alerts=self.ops_alerts)

    def delinquency_scan(self) -> AgendaScan:
        """The daily scan (timer, `POST /api/scan`, CLI): the accounts the agenda names up to the scan's date."""
        return AgendaScan(self.policy, self.accounts, self.agenda, self.agenda_filing(), self.full_scan, self.runs,
                          Watermarks(self.tables.table("runs")),
                          sweep=lambda as_of, cid: self.full_sweep().run(as_of, correlation_id=cid, alert=False).scan,
                          leases=self.leases)

    def due_customers(self) -> DueCustomers:
        """The due-customers queue function's use case: acts on the customers a timer's scan sent."""
        runs = self.tables.table("runs")
        limit = self.settings.max_suspensions_per_run
        return DueCustomers(self.accounts, self.full_scan,
                            ScanRefiling(self.policy, self.accounts, self.agenda, self.agenda_filing()),
                            lambda run_id: SharedSuspensionBudget(runs, run_id, limit), self.runs)

    @property
    def due_customers_queue(self) -> MessageQueue:
        return self._queue(self.settings.due_customers_queue)

    def full_sweep(self) -> FullSweep:
        return FullSweep(self.policy, self.accounts, self.agenda_filing(), self.full_scan, self.runs)

    @property
    def agenda(self) -> Agenda:
        return Agenda(self.tables.table("agenda"))

    def agenda_filing(self) -> AgendaFiling:
        return AgendaFiling(lambda: self.policy, self.accounts, self.agenda, lambda: self.clock())

    @property
    def cases(self) -> Cases:
        return Cases(self.tables.table("cases"))

    def service_requests_service(self) -> ServiceRequestService:
        if self._service_requests_service is None:
            with self._lock:
                if self._service_requests_service is None:
                    # One per process: it caches the support topic it looked up.
                    self._service_requests_service = ServiceRequestService(
                        self.partner_center, self.write_gate(), self.cases, self.service_requests,
                        CustomerLocks(self.leases), self.actions, self.subscriptions,
                        topic_id=self.settings.partner_center.service_request_topic_id,
                        agent_locale=self.settings.partner_center.agent_locale, alerts=self.ops_alerts)
        return self._service_requests_service

    def fraud_detection(self) -> FraudDetection:
        return FraudDetection(self.policy, self.partner_center, self.cases, self.ledger, self.suspension(),
                              self.service_requests_service(),
                              usage_history=UsageHistory(self.tables.table("accounts")), alerts=self.ops_alerts)

    def default_budgets(self) -> DefaultBudgets:
        return DefaultBudgets(self.policy, self.partner_center, self.write_gate(), self.actions)

    def fraud_poll(self) -> FraudPoll:
        return FraudPoll(self.fraud_detection(), self.default_budgets(), self.partner_center, self.runs,
                         Watermarks(self.tables.table("runs")), budget=self.fraud_poll_budget())

    def fraud_poll_budget(self) -> FraudPollBudget:
        settings, client = self.settings, self.partner_center
        return FraudPollBudget(UsageReads(self.tables.table("runs")), Watermarks(self.tables.table("runs")),
                               budget=settings.fraud_poll_call_budget,
                               max_age=timedelta(hours=settings.fraud_usage_max_age_hours),
                               run_interval=run_interval(settings.fraud_poll_schedule, datetime.now(UTC)),
                               calls=lambda: client.calls, clock=lambda: self.clock())

    def partner_center_events(self) -> PartnerCenterEvents:
        return PartnerCenterEvents(self.partner_center, self.fraud_detection(), self.reconciler())

    def partner_center_webhook_verifier(self) -> PartnerCenterWebhookVerifier:
        if self._pc_verifier is None:
            pc = self.settings.partner_center
            # One per process: it caches the certificates it fetched.
            local_ca = pc.webhook_ca_bundle.read_bytes() if pc.webhook_ca_bundle else None
            self._pc_verifier = PartnerCenterWebhookVerifier(WebhookCertificates(
                pc.webhook_cert_hosts, pc.webhook_cert_organization, issuer_hosts=pc.webhook_issuer_hosts,
                local_ca_pem=local_ca))
        return self._pc_verifier

    def reconciler(self) -> Reconciler:
        return Reconciler(self.partner_center, self.suspension(), self.actions, self.subscriptions, self.runs,
                          cases=self.cases, service_requests=self.partner_center, alerts=self.ops_alerts,
                          refresh_names=self.refresh_customer_names)

    def ingestion(self) -> LedgerIngestion:
        enforcers: list[CollectionsEnforcer] = []

        def after_record(customer_id: str, summary: LedgerSummary, row: AccountRow) -> None:
            # Built on first use, not with the ingestion: the policy it loads must never stop a fact being
            # recorded (LedgerIngestion marks the customer for the next scan when it cannot load).
            try:
                if not enforcers:
                    enforcers.append(self.enforcer())
                enforcers[0].after_payment(customer_id, summary, row, actor="payment")
                if self.settings.enforcement_mode == "review":
                    # Proposals are made only in review mode, so only there does a payment pay a read to find one
                    # to lapse; one left from an earlier review period is re-checked when approved (stale: 409).
                    self.proposal_desk().after_book_change(customer_id, summary, actor="payment")
            finally:
                self.agenda_filing().after_event(customer_id, row)  # files ASAP when the policy will not load

        return LedgerIngestion(self.ledger, self.accounts, self.unmatched, after_record=after_record)

    @property
    def payers(self) -> PayerDirectory:
        return PayerDirectory(PayerIndex(self.tables.table("payers")))

    def statement_import(self) -> StatementImport:
        ledger = self.ledger

        def open_invoices(customer_id: str) -> list[str]:
            return [invoice.invoice_id for invoice in ledger.load(customer_id).summary.open_invoices]

        return StatementImport(self.ingestion(), self.payers, self.unmatched,
                               TransferLog(self.tables.table("transfers")), open_invoices, self.policy.zone)

    def unmatched_assignment(self) -> UnmatchedAssignment:
        return UnmatchedAssignment(self.unmatched, self.ingestion())

    # --- customer notices ---

    @property
    def notices(self) -> Notices:
        return Notices(self.tables.table("notices"))

    @property
    def contacts(self) -> ContactBook:
        return ContactBook(self.tables.table("contacts"))

    @property
    def notices_queue(self) -> MessageQueue:
        return self._queue(self.settings.notices.queue)

    def notice_outbox(self) -> NoticeOutbox:
        from lib.notices.render import NoticeRenderer

        renderer = NoticeRenderer(self.settings.collections_policy.parent / "notices", self.policy)
        return NoticeOutbox(self.policy, self.notices, renderer, NoticeAddressing(self.contacts, self.partner_center),
                            lambda: self.notices_queue, mode=self.settings.notices.mode,
                            sender=self.settings.notices.sender)

    def notice_sender(self) -> NoticeSender:
        from lib.notices.smtp_mailer import SmtpMailer

        settings = self.settings.notices
        return NoticeSender(self.notices, self.notice_outbox(), settings, mailer=lambda: SmtpMailer(settings),
                            alert=self.notice_alert(), clock=self.clock)

    @property
    def ops_alerts(self) -> OpsAlerts:
        if self.ops_alert is not None:
            return AlertCallback(self.ops_alert)
        if self._ops_alerts is None:
            with self._lock:
                if self._ops_alerts is None:
                    urls = self.settings.notices.ops_alert_urls
                    if urls:
                        from lib.notices.ops_alerts import AppriseOpsAlerts

                        # One per process: its batching and rate limit only hold if every alert passes through it.
                        self._ops_alerts = AppriseOpsAlerts(urls)
                    else:
                        self._ops_alerts = LoggingOpsAlerts()
        return self._ops_alerts

    def notice_alert(self) -> Alert:
        return self.ops_alerts.raise_alert

    def customer_names(self) -> CustomerNames:
        return CustomerNames(Companies(self.tables.table("companies")), self.partner_center, self.subscriptions)

    def refresh_customer_names(self) -> list[str]:
        """Reconcile's step: company names of every customer, subscriptions of those at risk."""
        return self.customer_names().refresh(at_risk_ids(self.accounts, self.policy, self.clock()))

    def desk_actions(self) -> DeskActions:
        return DeskActions(unmatched=self.unmatched, assignment=self.unmatched_assignment, actions=self.actions,
                           cases=self.cases, suspension=self.suspension, accounts=self.accounts, ledger=self.ledger,
                           policy=self.policy,
                           on_hold_change=lambda cid, why, actor: self.proposal_desk().lapse(cid, why=why, actor=actor))

    # --- review mode ---

    @property
    def proposals(self) -> Proposals:
        return Proposals(self.tables.table("proposals"))

    def proposal_desk(self) -> ProposalDesk:
        return ProposalDesk(self.proposals, self.actions, suspension=self.suspension, accounts=self.accounts,
                            ledger=self.ledger, policy=lambda: self.policy, cases=self.cases,
                            notices=self.notice_outbox, service_requests=self.service_requests_service,
                            clock=self.clock)


_context: AppContext | None = None
_context_lock = threading.Lock()


def get_context() -> AppContext:
    global _context
    if _context is None:
        with _context_lock:
            if _context is None:
                _context = AppContext(get_settings())
    return _context


def reset_context() -> None:
    """Forgets the process's settings and clients (tests that change the environment call this)."""
    global _context
    with _context_lock:
        _context = None
    get_settings.cache_clear()
