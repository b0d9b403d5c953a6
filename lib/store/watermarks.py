"""Small named markers in the `runs` table, e.g. how far the fraud poll has read Partner Center's events."""

from __future__ import annotations

from datetime import UTC, datetime

from lib.store.tables import Table

PARTITION = "watermark"


class Watermarks:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, partition: str, name: str) -> str | None:
        record = self._table.get(partition, name)
        return record.text("value") or None if record else None

    def set(self, partition: str, name: str, value: str) -> None:
        self._table.upsert(partition, name, {"value": value, "updated_at": datetime.now(UTC)})
