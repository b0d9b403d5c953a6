"""The `contacts` table: who receives a customer's notices when the operators say so (PartitionKey customer id,
RowKey `contacts`). Absent, or with an empty `to`, the Partner Center billing profile's e-mail is used."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from lib.store.tables import Table

_ROW = "contacts"


@dataclass(frozen=True)
class Contacts:
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    language: str | None = None  # zh-CN | en | None (then the billing profile's culture decides)
    updated_by: str = ""
    updated_at: datetime | None = None

    def as_json(self) -> dict[str, object]:
        return {"to": list(self.to), "cc": list(self.cc), "language": self.language, "updated_by": self.updated_by,
                "updated_at": self.updated_at.isoformat() if self.updated_at else None}


class ContactBook:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, customer_id: str) -> Contacts | None:
        record = self._table.get(customer_id, _ROW)
        if record is None:
            return None
        return Contacts(to=tuple(json.loads(record.text("to", "[]"))), cc=tuple(json.loads(record.text("cc", "[]"))),
                        language=record.text("language") or None, updated_by=record.text("updated_by"),
                        updated_at=record.moment("updated_at"))

    def put(self, customer_id: str, contacts: Contacts, *, actor: str) -> Contacts:
        now = datetime.now(UTC)
        self._table.upsert(customer_id, _ROW, {"to": json.dumps(list(contacts.to)), "cc": json.dumps(list(contacts.cc)),
                                               "language": contacts.language or "", "updated_by": actor,
                                               "updated_at": now}, replace=True)
        return Contacts(contacts.to, contacts.cc, contacts.language, actor, now)
