"""Partner Center's JSON read whatever the case of its property names, and its times read as UTC instants."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.partner_center.errors import UnreadableAnswerError
from lib.partner_center.json_fields import parse_time
from lib.partner_center.models import FraudEvent, ServiceRequest, Subscription

FIXTURES = Path(__file__).parents[2] / "fixtures" / "partner_center"
DOCUMENTED = json.loads((FIXTURES / "subscription_get.json").read_text())["sample"]


def recase(value, flips):
    """The same JSON with each property name's letters upper- or lower-cased as `flips` says."""
    if isinstance(value, dict):
        return {"".join(c.upper() if flips.draw(st.booleans()) else c.lower() for c in key): recase(v, flips)
                for key, v in value.items()}
    return value


@settings(deadline=None)  # a shared CI machine can be slow; the property, not the speed, is under test
@given(st.data())
def test_a_subscription_reads_the_same_whatever_the_case_of_its_property_names(data):
    assert Subscription.from_json(recase(DOCUMENTED, data)) == Subscription.from_json(DOCUMENTED)
    assert Subscription.from_json(recase(DOCUMENTED, data)).etag == DOCUMENTED["attributes"]["etag"]


def test_the_patch_body_keeps_one_status_key_as_it_was_read():
    pascal = Subscription.from_json({"Id": "s", "Status": "active", "Attributes": {"Etag": "e"}})
    assert pascal.with_status("suspended") == {"Id": "s", "Status": "suspended", "Attributes": {"Etag": "e"}}
    assert pascal.etag == "e"


@pytest.mark.parametrize("data", [
    {"status": "active"},  # no id
    {"id": "s", "quantity": "many"},
    {"id": "s", "attributes": "not an object"},
    ["not", "an", "object"],
])
def test_an_unreadable_subscription_is_a_named_error(data):
    with pytest.raises(UnreadableAnswerError):
        Subscription.from_json(data)


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("False", False), (True, True), (None, False)])
def test_is_test_is_read_from_text_or_boolean_in_any_spelling(value, expected):
    assert FraudEvent.from_json({"eventId": "e", "IsTest": value}).is_test is expected
    assert FraudEvent.from_json({"eventId": "e", "isTest": value}).is_test is expected


@pytest.mark.parametrize(("severity", "status", "expected"), [
    (0, 1, ("unknown", "open")), (3, 3, ("minimal", "attention_needed")), ("Critical", "None", ("critical", "none")),
    ("moderate", "AttentionNeeded", ("moderate", "attention_needed"))])
def test_service_request_enumerations_as_numbers_or_text(severity, status, expected):
    sr = ServiceRequest.from_json({"id": "1", "severity": severity, "status": status})
    assert (sr.severity, sr.status) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("2021-12-08T00:25:45.69", datetime(2021, 12, 8, 0, 25, 45, 690000, tzinfo=UTC)),
    ("2017-11-16T16:19:06.3520276+00:00", datetime(2017, 11, 16, 16, 19, 6, 352027, tzinfo=UTC)),
    ("2026-11-20T11:14:00+08:00", datetime(2026, 11, 20, 3, 14, tzinfo=UTC)),
    ("2026-11-20T03:14:00Z", datetime(2026, 11, 20, 3, 14, tzinfo=UTC)),
    ("2015-11-25T06: 41: 12Z", None), ("", None), (None, None),
])
def test_times_without_an_offset_are_utc(text, expected):
    assert parse_time(text) == expected


@settings(deadline=None)
@given(st.text(max_size=40))
def test_any_text_is_an_aware_utc_instant_or_none(text):
    when = parse_time(text)
    assert when is None or (when.utcoffset() is not None and when.tzinfo == UTC)
