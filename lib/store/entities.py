"""Typed mapping between plain Python values and Table Storage entities.

Integers are always written as Edm.Int64: money in fen passes 2^31 (21 million yuan) easily, and one type per
property keeps queries and reads predictable. Datetimes must be timezone-aware and are stored in UTC. Floats are
refused: money never travels as a float, and nothing else here needs one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from azure.data.tables import EdmType, EntityProperty

Value = str | int | bool | datetime | bytes | None
_RESERVED = frozenset({"PartitionKey", "RowKey", "Timestamp", "etag"})
_KEY_FORBIDDEN = frozenset("/\\#?") | {chr(c) for c in range(0x20)} | {chr(c) for c in range(0x7F, 0xA0)}


class EntityMappingError(ValueError):
    """A value that cannot be stored as written (float, naive datetime, bad key)."""


@dataclass(frozen=True)
class Record:
    """One entity as csp-guard sees it: its keys, its ETag and its plain values."""

    partition_key: str
    row_key: str
    values: Mapping[str, Value] = field(default_factory=dict)
    etag: str | None = None
    timestamp: datetime | None = None

    def __getitem__(self, name: str) -> Value:
        return self.values[name]

    def get(self, name: str, default: Value = None) -> Value:
        return self.values.get(name, default)

    def text(self, name: str, default: str = "") -> str:
        value = self.values.get(name)
        return value if isinstance(value, str) else default

    def integer(self, name: str, default: int = 0) -> int:
        value = self.values.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else default

    def moment(self, name: str) -> datetime | None:
        value = self.values.get(name)
        return value if isinstance(value, datetime) else None


def check_key(key: str, what: str) -> str:
    if not key or len(key) > 512 or any(ch in _KEY_FORBIDDEN for ch in key):
        raise EntityMappingError(f"{what} {key!r} cannot be a Table Storage key")
    return key


def to_entity(partition_key: str, row_key: str, values: Mapping[str, Value]) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "PartitionKey": check_key(partition_key, "PartitionKey"),
        "RowKey": check_key(row_key, "RowKey"),
    }
    for name, value in values.items():
        if name in _RESERVED:
            raise EntityMappingError(f"property {name!r} is reserved")
        if value is None:
            continue  # absent and null read back the same; Table Storage has no null
        entity[name] = _to_property(name, value)
    return entity


def from_entity(entity: Mapping[str, Any]) -> Record:
    values: dict[str, Value] = {}
    for name, raw in entity.items():
        if name in ("PartitionKey", "RowKey"):
            continue
        values[name] = _from_property(raw)
    metadata = getattr(entity, "metadata", {}) or {}
    timestamp = metadata.get("timestamp")
    return Record(
        partition_key=str(entity["PartitionKey"]),
        row_key=str(entity["RowKey"]),
        values=values,
        etag=metadata.get("etag"),
        timestamp=_plain_utc(timestamp) if isinstance(timestamp, datetime) else None,
    )


def _to_property(name: str, value: Value) -> Any:
    if isinstance(value, bool | str | bytes):
        return value
    if isinstance(value, int):
        return EntityProperty(value, EdmType.INT64)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise EntityMappingError(f"property {name!r}: naive datetime; store timezone-aware UTC")
        return value.astimezone(UTC)
    raise EntityMappingError(f"property {name!r}: {type(value).__name__} cannot be stored (money is int fen)")


def _from_property(raw: Any) -> Value:
    if isinstance(raw, EntityProperty):
        raw = raw.value
    if isinstance(raw, datetime):
        return _plain_utc(raw)
    if isinstance(raw, bool | str | bytes | int):
        return raw
    if raw is None:
        return None
    raise EntityMappingError(f"unexpected stored value of type {type(raw).__name__}")


def _plain_utc(value: datetime) -> datetime:
    # The SDK returns its own datetime subclass; hand callers a plain aware datetime.
    v = (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).astimezone(UTC)
    return datetime(v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond, tzinfo=UTC)
