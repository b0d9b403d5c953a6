from datetime import UTC, datetime, timedelta, timezone

import pytest
from azure.data.tables import EdmType, EntityProperty

from lib.store.entities import EntityMappingError, from_entity, to_entity

SHANGHAI = timezone(timedelta(hours=8))


def test_money_is_written_as_int64_even_when_small():
    entity = to_entity("c1", "inv:1", {"amount": 1250000, "big": 3_000_000_000_00})
    assert entity["amount"] == EntityProperty(1250000, EdmType.INT64)
    assert entity["big"].edm_type == EdmType.INT64


def test_datetimes_are_stored_in_utc_and_naive_ones_refused():
    entity = to_entity("c1", "x", {"due_at": datetime(2026, 11, 30, 23, 59, 59, tzinfo=SHANGHAI)})
    assert entity["due_at"] == datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC)
    with pytest.raises(EntityMappingError, match="naive"):
        to_entity("c1", "x", {"due_at": datetime(2026, 11, 30)})


def test_floats_are_refused_because_money_is_integer_fen():
    with pytest.raises(EntityMappingError, match="money is int fen"):
        to_entity("c1", "x", {"amount": 12.5})


def test_none_values_are_omitted_and_reserved_names_refused():
    assert "note" not in to_entity("c1", "x", {"note": None})
    with pytest.raises(EntityMappingError, match="reserved"):
        to_entity("c1", "x", {"PartitionKey": "other"})


@pytest.mark.parametrize("key", ["", "a/b", "a#b", "a?b", "a\\b", "tab\there"])
def test_keys_that_table_storage_forbids_are_refused(key):
    with pytest.raises(EntityMappingError):
        to_entity(key, "x", {})


def test_reading_unwraps_int64_and_keeps_plain_values():
    record = from_entity({"PartitionKey": "c1", "RowKey": "summary", "balance": EntityProperty(5, EdmType.INT64),
                          "flag": True, "name": "x", "at": datetime(2026, 1, 1, tzinfo=UTC)})
    assert record.partition_key == "c1" and record.row_key == "summary"
    assert record.integer("balance") == 5 and record["flag"] is True and record.text("name") == "x"
    assert record.moment("at") == datetime(2026, 1, 1, tzinfo=UTC)
