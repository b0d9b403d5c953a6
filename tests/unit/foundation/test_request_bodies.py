"""Request bodies: refused by Content-Length before anyone reads them, and never a 500 whatever JSON they hold."""

import json

import azure.functions as func
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.web.endpoint import public_endpoint
from lib.web.problems import MAX_BODY_BYTES, ProblemError, check_content_length, read_json_body


def request(body: bytes = b"", **headers: str) -> func.HttpRequest:
    return func.HttpRequest("POST", "http://localhost/api/webhooks/standard", body=body, headers=headers)


@pytest.mark.parametrize("body", [b'{"amount": ' + b"9" * 5000 + b"}", b"[" + b"1" * 4301 + b"]",
                                  b"-" + b"1" * 10000])
def test_a_number_too_large_for_an_int_is_a_400(body):
    with pytest.raises(ProblemError) as caught:
        read_json_body(request(body))
    assert caught.value.status == 400 and "too large" in caught.value.detail


def test_a_body_nested_too_deeply_is_a_400():
    with pytest.raises(ProblemError) as caught:
        read_json_body(request(b"[" * 100_000 + b"]" * 100_000))
    assert caught.value.status == 400


@given(st.binary(max_size=300))
def test_any_bytes_are_json_or_a_4xx_problem(raw):
    statuses = []
    try:
        read_json_body(request(raw))
    except ProblemError as exc:
        statuses.append(exc.status)
    assert all(400 <= status < 500 for status in statuses)


@pytest.mark.parametrize(("length", "status"), [(str(MAX_BODY_BYTES + 1), 413), ("1000000000000", 413),
                                                ("-1", 400), ("12abc", 400), ("１２", 400)])
def test_content_length_over_the_limit_or_malformed_is_refused_without_the_body(length, status):
    with pytest.raises(ProblemError) as caught:
        check_content_length(request(b"", **{"Content-Length": length}))
    assert caught.value.status == status


def test_content_length_within_the_limit_or_absent_passes():
    check_content_length(request(b"{}", **{"Content-Length": "2"}))
    check_content_length(request(b"{}"))


def test_an_endpoint_answers_413_before_its_handler_touches_the_body():
    touched = []

    def handler(req: func.HttpRequest) -> func.HttpResponse:
        touched.append(req.get_body())
        return func.HttpResponse("ok")

    response = public_endpoint(handler)(request(b"", **{"Content-Length": str(10 * MAX_BODY_BYTES)}))
    assert response.status_code == 413 and touched == []
    assert json.loads(response.get_body())["type"].endswith("/payload-too-large")


def test_a_body_over_the_limit_without_content_length_is_refused_when_read():
    with pytest.raises(ProblemError) as caught:
        read_json_body(request(b" " * (MAX_BODY_BYTES + 1)))
    assert caught.value.status == 413
