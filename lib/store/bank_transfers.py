"""The `transfers` table: where each imported bank transfer went, by the bank's serial.

The ledger's mark makes a payment idempotent inside one customer's book, but a statement row finds its customer
through `payers`, which an operator can change between two imports of overlapping statements. The first import of a
serial records its destination here (a customer, or '' for `unmatched`) with insert, so it is decided once; every
later import of that serial goes to the same place and is recognised there as already recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from lib.store.entities import Value
from lib.store.errors import ConcurrencyConflict
from lib.store.payers import escape_key
from lib.store.tables import Table

ROW = "transfer"


class TransferLog:
    def __init__(self, table: Table) -> None:
        self._table = table

    def destination(self, serial: str) -> str | None:
        """The customer the transfer went to, '' if it went to `unmatched`, None if it was never imported."""
        record = self._table.get(escape_key(serial), ROW)
        return None if record is None else record.text("customer_id")

    def settle(self, serial: str, customer_id: str, details: Mapping[str, Value]) -> str:
        """Record the destination unless one is recorded already; returns the one that holds."""
        held = self.destination(serial)
        if held is not None:
            return held
        try:
            self._table.insert(escape_key(serial), ROW,
                               {**details, "customer_id": customer_id, "imported_at": datetime.now(UTC)})
        except ConcurrencyConflict:  # another import of the same serial got there first
            return self.destination(serial) or ""
        return customer_id
