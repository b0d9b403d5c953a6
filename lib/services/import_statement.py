"""`csp-guard import-statement FILE`: a bank statement's credits become payments, each recorded exactly once.

Every row is read and checked before anything is written; with bad rows nothing is imported unless the operator
asks to skip them. Each credit is then identified by its payer (account first, then normalised name, against
`payers`) and recorded through the same ingestion as a webhook, so a debtor suspended for non-payment is restored
within the import. Each transfer's id is the bank's serial (ledger mark `evt:bank:{serial}`), and the first import
of a serial records where it went (`transfers`), so importing a file again, or an overlapping one, records nothing
twice, even after the payers changed. A transfer nobody claims goes to `unmatched` (provider `bank`)
with the row's payer and memo, for an operator to assign; importing it again leaves it as it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from lib.billing.bank.formats import FORMATS
from lib.billing.bank.memo import invoice_in_memo
from lib.billing.bank.reading import UnreadableStatement, read_statement_file
from lib.billing.bank.statement import StatementLine, parse_statement
from lib.billing.csv_payments import RowError
from lib.domain.event_fields import EventValidationError, id_field
from lib.domain.events import BillingEvent, PaymentSucceeded
from lib.services.ingest_event import LedgerIngestion
from lib.services.payers import PayerDirectory
from lib.store.bank_transfers import TransferLog
from lib.store.unmatched import UnmatchedEvents

PROVIDER = "bank"
Progress = Callable[[int, int], None]  # (done, total)
OpenInvoices = Callable[[str], Iterable[str]]  # customer id -> its open invoice ids


@dataclass
class StatementReport:
    kind: str = ""  # xlsx or the CSV's encoding
    rows: int = 0  # transfers read: credits, debits and bad rows
    matched: int = 0
    unmatched: int = 0
    duplicate: int = 0
    debits: int = 0
    bad: int = 0
    errors: list[RowError] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # valid rows that could not be recorded
    imported: bool = False

    def lines(self) -> list[str]:
        return [f"rows: {self.rows}  matched: {self.matched}  unmatched: {self.unmatched}  "
                f"already imported: {self.duplicate}  debits skipped: {self.debits}  bad rows skipped: {self.bad}  "
                f"failed: {len(self.failures)}"]


@dataclass(frozen=True)
class StatementImport:
    ingestion: LedgerIngestion
    payers: PayerDirectory
    unmatched: UnmatchedEvents
    transfers: TransferLog
    open_invoices: OpenInvoices
    zone: ZoneInfo  # the bank's local time, the policy's zone (Asia/Shanghai)

    def run(self, data: bytes, format_name: str, *, source: str = "", skip_bad: bool = False,
            invoice_pattern: re.Pattern[str] | None = None, progress: Progress | None = None) -> StatementReport:
        report = StatementReport()
        try:
            statement_file = read_statement_file(data)
        except UnreadableStatement as exc:
            report.errors.append(RowError(1, "file", str(exc)))
            return report
        report.kind = statement_file.kind
        parsed = parse_statement(statement_file.rows, FORMATS[format_name], self.zone)
        report.errors, report.debits, report.bad = parsed.errors, parsed.debits, parsed.bad_rows
        report.rows = len(parsed.credits) + parsed.debits + parsed.bad_rows
        if parsed.file_errors or (parsed.errors and not skip_bad):
            return report  # nothing imported: fix the file (or pass --skip-bad for row errors) and run again
        for done, line in enumerate(parsed.credits, start=1):
            try:
                outcome = self._record(line, source, invoice_pattern)
            except Exception as exc:  # one row's storage or ledger failure must not hide the others' outcome
                report.failures.append(f"line {line.line}: {type(exc).__name__}: {exc}")
                outcome = "failed"
            if outcome == "recorded":
                report.matched += 1
            elif outcome == "duplicate":
                report.duplicate += 1
            elif outcome == "unmatched":
                report.unmatched += 1
            if progress is not None:
                progress(done, len(parsed.credits))
        report.imported = True
        return report

    def _record(self, line: StatementLine, source: str, pattern: re.Pattern[str] | None) -> str:
        found = self.payers.customer_of(line.payer_account, line.payer_name)
        # The first import of a serial decides where it goes, even if the payers change before the next one.
        customer = self.transfers.settle(line.serial, found[0] if found else "", {
            "source": source, "line": line.line, "amount": line.amount, "currency": line.currency,
            "paid_at": line.paid_at, "payer_name": line.payer_name, "payer_account": line.payer_account}) or None
        if customer is None and self.unmatched.get(PROVIDER, line.serial) is not None:
            return "duplicate"  # kept (or already assigned) by an earlier import; the operator decides there
        invoice = None
        if customer is not None:
            invoice = _checked_id(invoice_in_memo(line.memo, self.open_invoices(customer), pattern))
        payment = PaymentSucceeded(f"{PROVIDER}:{line.serial}", line.amount, line.currency, line.paid_at, invoice)
        event = BillingEvent(PROVIDER, line.serial, PaymentSucceeded.kind, line.paid_at, customer, payment)
        body = json.dumps({"source": source, "line": line.line, "serial": line.serial,
                           "payer_name": line.payer_name, "payer_account": line.payer_account,
                           "memo": line.memo, "amount": line.amount, "currency": line.currency,
                           "matched_by": found[1] if found else None}, ensure_ascii=False).encode("utf-8")
        return self.ingestion.ingest(event, body).status


def _checked_id(invoice: str | None) -> str | None:
    if invoice is None:
        return None
    try:
        return id_field(invoice, "invoice_id")
    except EventValidationError:
        return None  # a pattern's match that cannot be an id names no invoice
