"""`csp-guard import-payments FILE.csv`: validate every row first, then record each payment exactly once.

Payments from bank exports become canonical `payment.succeeded` events with event id `csv:{payment_id}`, so a file
imported twice (or two files repeating a payment) records each payment once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from lib.billing.csv_payments import RowError, read_payments_csv
from lib.domain.events import BillingEvent
from lib.services.ingest_event import LedgerIngestion

Progress = Callable[[int, int], None]  # (done, total)


@dataclass
class ImportReport:
    rows: int = 0
    recorded: int = 0
    duplicate: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # rows that were valid but could not be recorded
    imported: bool = False

    def lines(self) -> list[str]:
        return [f"rows: {self.rows}  recorded: {self.recorded}  already imported: {self.duplicate}  "
                f"bad rows skipped: {self.skipped}  failed: {len(self.failures)}"]


def import_payments(lines: Iterable[str], ingestion: LedgerIngestion, *, skip_bad: bool = False,
                    workers: int = 8, progress: Progress | None = None) -> ImportReport:
    parsed = read_payments_csv(lines)
    report = ImportReport(rows=len(parsed.events) + len({e.line for e in parsed.errors if e.field != "header"}),
                          errors=parsed.errors)
    if parsed.errors and (not skip_bad or any(e.field in ("header", "file") for e in parsed.errors)):
        return report  # nothing imported: fix the file (or pass --skip-bad for row errors) and run again
    report.skipped = len({e.line for e in parsed.errors})
    total = len(parsed.events)
    done = 0

    def record(item: tuple[int, BillingEvent]) -> tuple[int, str]:
        line, event = item
        try:
            return line, ingestion.ingest(event).status
        except Exception as exc:
            return line, f"error: {exc}"

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for line, status in pool.map(record, parsed.events):
            done += 1
            if status == "recorded":
                report.recorded += 1
            elif status == "duplicate":
                report.duplicate += 1
            else:
                report.failures.append(f"line {line}: {status}")
            if progress is not None:
                progress(done, total)
    report.imported = True
    return report
