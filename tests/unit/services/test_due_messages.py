"""The due-customers queue's messages: what the timer's scan sends, and what the queue function refuses to read."""

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.services.due_customers import DueMessage, InvalidDueMessage, due_messages

AS_OF = datetime(2026, 12, 1, 4, tzinfo=UTC)
keys = st.sets(st.dates().map(lambda d: d.strftime("%Y%m%d")).filter(lambda k: len(k) == 8), min_size=1,
               max_size=3)
due_books = st.dictionaries(st.uuids().map(str), keys, min_size=1, max_size=80)


@given(due_books, st.integers(min_value=1, max_value=40))
def test_every_customer_due_is_sent_once_in_messages_no_larger_than_asked(due, size):
    messages = due_messages("run-1", AS_OF, due, actor="delinquency_scan", correlation_id="c-1", size=size)
    sent = [cid for m in messages for cid in m.customers]
    assert sorted(sent) == sorted(due) and len(sent) == len(set(sent))
    assert all(0 < len(m.customers) <= size for m in messages)
    assert all(set(m.customers[cid]) == due[cid] for m in messages for cid in m.customers)
    # what the queue function reads back is what was sent
    assert [DueMessage.parse(json.dumps(m.as_json()).encode()) for m in messages] == messages


def test_a_full_message_stays_far_below_the_queues_64_kb():
    due = {f"{n:08x}-0000-4000-8000-000000000000": {"20261201", "20261130"} for n in range(32)}
    [message] = due_messages("0" * 24, AS_OF, due, actor="operator:someone", correlation_id="x" * 36)
    assert len(json.dumps(message.as_json()).encode()) * 4 / 3 < 8 * 1024  # base64 on the wire


@pytest.mark.parametrize(("body", "named"), [
    (b"not json", "not JSON"),
    (b"[]", "JSON object"),
    (b'{"as_of": "2026-12-01T04:00:00+00:00", "actor": "a", "customers": {"c": ["20261201"]}}', "run_id"),
    (b'{"run_id": "r", "as_of": "2026-12-01T04:00:00", "actor": "a", "customers": {"c": ["20261201"]}}',
     "UTC offset"),
    (b'{"run_id": "r", "as_of": "yesterday", "actor": "a", "customers": {"c": ["20261201"]}}', "as_of"),
    (b'{"run_id": "r", "as_of": "2026-12-01T04:00:00+00:00", "actor": "a", "customers": {}}', "customers"),
    (b'{"run_id": "r", "as_of": "2026-12-01T04:00:00+00:00", "actor": "a", "customers": {"c": ["2026-12-01"]}}',
     "YYYYMMDD"),
    (b'{"run_id": "r", "as_of": "2026-12-01T04:00:00+00:00", "actor": "a", "customers": {"c": ["20261201"]},'
     b' "correlation_id": 7}', "correlation_id"),
])
def test_a_message_no_delivery_could_act_on_is_refused_by_name(body, named):
    with pytest.raises(InvalidDueMessage, match=named):
        DueMessage.parse(body)
