"""The `companies` table: each customer's company name as Partner Center last told us.

One partition (`company`) keyed by customer id, so the console's list reads every name in one partition query
instead of a point read per row. A customer Partner Center does not know is kept too (`found` false), so a page
does not ask again on every load; `checked_at` says when it may be asked again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from lib.store.entities import Record
from lib.store.tables import Table

PARTITION = "company"


@dataclass(frozen=True)
class Company:
    customer_id: str
    name: str
    domain: str = ""
    found: bool = True  # Partner Center knows the customer
    checked_at: datetime | None = None


class Companies:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, customer_id: str) -> Company | None:
        record = self._table.get(PARTITION, customer_id.lower())
        return _company(record) if record else None

    def all(self) -> dict[str, Company]:
        return {r.row_key: _company(r) for r in self._table.partition(PARTITION)}

    def save(self, company: Company) -> None:
        self._table.upsert(PARTITION, company.customer_id.lower(), {
            "name": company.name, "domain": company.domain, "found": company.found,
            "checked_at": company.checked_at or datetime.now(UTC)}, replace=True)

    def save_all(self, companies: Iterable[Company]) -> int:
        count = 0
        for company in companies:
            self.save(company)
            count += 1
        return count


def _company(record: Record) -> Company:
    return Company(customer_id=record.row_key, name=record.text("name"), domain=record.text("domain"),
                   found=bool(record.get("found", True)), checked_at=record.moment("checked_at"))
