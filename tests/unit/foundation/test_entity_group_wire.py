"""The `$batch` wire format csp-guard writes and reads: the same parts the SDK sends, and answers read right."""

from __future__ import annotations

import email
import io
import json
from datetime import UTC, datetime
from email.message import Message
from typing import Any

import pytest
import requests
import urllib3
from azure.core import MatchConditions
from azure.core.pipeline.transport import RequestsTransport
from azure.data.tables import TableClient, UpdateMode
from hypothesis import given
from hypothesis import strategies as st

from lib.store.entities import to_entity
from lib.store.entity_group import (
    PartResult,
    WireOperation,
    encode_batch,
    failed_operation,
    parse_batch_response,
)

ACCOUNT_URL = "http://127.0.0.1:10002/devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
ETAG = "W/\"datetime'2026-11-23T01%3A55%3A17.0436117Z'\""


class _CapturingAdapter(requests.adapters.BaseAdapter):
    """Answers every request with a canned 202 and keeps the request body: the SDK's batch, without a network."""

    def __init__(self, parts: int) -> None:
        super().__init__()
        self.parts = parts
        self.bodies: list[bytes] = []

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        body = request.body
        self.bodies.append(body if isinstance(body, bytes) else str(body).encode())
        content = _answer([(204, ETAG)] * self.parts)
        response = requests.Response()
        response.status_code = 202
        response.headers["Content-Type"] = "multipart/mixed; boundary=batchresponse_x"
        response.raw = urllib3.HTTPResponse(body=io.BytesIO(content), status=202, preload_content=False,
                                            headers={"Content-Type": response.headers["Content-Type"],
                                                     "Content-Length": str(len(content))})
        response.request = request
        return response

    def close(self) -> None:
        pass


def _answer(parts: list[tuple[int, str | None]], *, newline: str = "\r\n", error: str | None = None) -> bytes:
    lines = ["--batchresponse_x", "Content-Type: multipart/mixed; boundary=changesetresponse_y", ""]
    for status, etag in parts:
        lines += ["--changesetresponse_y", "Content-Type: application/http", "Content-Transfer-Encoding: binary", "",
                  f"HTTP/1.1 {status} Whatever", "X-Content-Type-Options: nosniff", "DataServiceVersion: 3.0;"]
        if etag:
            lines.append(f"ETag: {etag}")
        if error is not None:
            lines += ["Content-Type: application/json;odata=minimalmetadata;charset=utf-8", "", error]
        else:
            lines += ["", ""]
    lines += ["--changesetresponse_y--", "--batchresponse_x--", ""]
    return newline.join(lines).encode()


def _requests_in(body: bytes, content_type: str) -> list[tuple[str, dict[str, str], Any]]:
    """The operations inside a batch body, read with the standard library's MIME parser (not ours)."""
    outer = email.message_from_bytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    found = []
    for changeset in outer.get_payload():
        assert isinstance(changeset, Message)
        for part in changeset.get_payload():
            assert isinstance(part, Message) and part.get_content_type() == "application/http"
            raw = part.get_payload(decode=True)
            assert isinstance(raw, bytes)
            head, _, content = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
            request_line, *header_lines = head.decode().split("\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
            for volatile in ("x-ms-date", "date"):
                headers.pop(volatile, None)
            found.append((request_line, headers, json.loads(content) if content.strip() else None))
    return found


AT = datetime(2026, 11, 1, tzinfo=UTC)
OPERATIONS = [
    WireOperation("create", to_entity("cust'1 客户", "evt:standard:msg 1=x", {"at": AT})),
    WireOperation("upsert_merge", to_entity("cust'1 客户", "inv:INV 1+2", {"amount": 12_345_00, "paid": True})),
    WireOperation("upsert_replace", to_entity("cust'1 客户", "pay:P%1", {"amount": 5, "note": "欠款"})),
    WireOperation("update_if_match", to_entity("cust'1 客户", "summary", {"balance": 3_000_000_000_00}), ETAG),
    WireOperation("delete", to_entity("cust'1 客户", "old", {})),
    WireOperation("delete", to_entity("cust'1 客户", "older", {}), ETAG),
]


def _sdk_operation(op: WireOperation) -> tuple[Any, ...]:
    entity = dict(op.entity)
    if op.kind == "create":
        return ("create", entity)
    if op.kind == "upsert_merge":
        return ("upsert", entity, {"mode": UpdateMode.MERGE})
    if op.kind == "upsert_replace":
        return ("upsert", entity, {"mode": UpdateMode.REPLACE})
    if op.kind == "update_if_match":
        return ("update", entity, {"mode": UpdateMode.REPLACE, "etag": op.etag,
                                   "match_condition": MatchConditions.IfNotModified})
    if op.etag is None:
        return ("delete", entity)
    return ("delete", entity, {"etag": op.etag, "match_condition": MatchConditions.IfNotModified})


def test_every_kind_of_operation_is_written_as_the_sdk_writes_it():
    adapter = _CapturingAdapter(len(OPERATIONS))
    session = requests.Session()
    session.mount("http://", adapter)
    client = TableClient.from_connection_string(
        f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={KEY};TableEndpoint={ACCOUNT_URL};",
        "ledger", transport=RequestsTransport(session=session, use_env_settings=False))
    client.submit_transaction([_sdk_operation(op) for op in OPERATIONS])
    sdk_body = adapter.bodies[0]
    sdk_type = "multipart/mixed; boundary=" + sdk_body.split(b"\r\n", 1)[0][2:].decode()

    ours_type, ours_body = encode_batch(f"{ACCOUNT_URL}", "ledger", OPERATIONS, version=client.api_version)

    ours = _requests_in(ours_body, ours_type)
    assert len(ours) == len(OPERATIONS)
    assert ours == _requests_in(sdk_body, sdk_type)


def test_keys_are_quoted_for_the_odata_url():
    # OData doubles the quote ('') and the URL then percent-encodes everything, quotes included, as the SDK does.
    _, body = encode_batch(ACCOUNT_URL, "ledger", [OPERATIONS[1]], version="2019-02-02")
    assert b"PATCH http://127.0.0.1:10002/devstoreaccount1/ledger(PartitionKey='cust%27%271%20%E5%AE%A2%E6%88%B7'," \
           b"RowKey='inv%3AINV%201%2B2') HTTP/1.1" in body


def test_an_update_without_its_etag_is_refused_before_anything_is_sent():
    with pytest.raises(ValueError, match="ETag"):
        encode_batch(ACCOUNT_URL, "ledger", [WireOperation("update_if_match", to_entity("c", "s", {}))],
                     version="2019-02-02")


def test_a_successful_answer_gives_one_etag_per_operation_in_order():
    etags = ["W/\"datetime'1'\"", "W/\"datetime'2'\"", None]
    answer = _answer([(201, etags[0]), (204, etags[1]), (204, etags[2])])
    results = parse_batch_response("multipart/mixed; boundary=batchresponse_x", answer)
    assert [(r.status, r.etag) for r in results] == [(201, etags[0]), (204, etags[1]), (204, None)]
    assert all(r.ok for r in results)


def test_a_refused_transaction_names_the_failing_operation_and_its_code():
    error = json.dumps({"odata.error": {"code": "EntityAlreadyExists", "message": {
        "lang": "en-US", "value": "1:The specified entity already exists.\nRequestId:abc"}}})
    answer = _answer([(409, None)], error=error)
    [result] = parse_batch_response('multipart/mixed; boundary="batchresponse_x"', answer)
    assert (result.status, result.error_code, result.ok) == (409, "EntityAlreadyExists", False)
    assert failed_operation(result) == 1


def test_answers_with_bare_newlines_and_a_non_json_error_are_still_read():
    answer = _answer([(412, None)], newline="\n", error="<html>precondition failed</html>")
    [result] = parse_batch_response("multipart/mixed; boundary=batchresponse_x", answer)
    assert result.status == 412 and result.error_code is None and "precondition" in (result.message or "")
    assert failed_operation(result) is None


def test_an_answer_without_a_boundary_is_an_error_not_an_empty_success():
    with pytest.raises(ValueError, match="boundary"):
        parse_batch_response("application/json", b"{}")


@given(st.lists(st.tuples(st.sampled_from([200, 201, 204]),
                          st.none() | st.from_regex(r"W/\"datetime'[0-9A-Za-z%.:-]{1,30}'\"", fullmatch=True)),
                min_size=1, max_size=100))
def test_any_successful_answer_reads_back_exactly(parts):
    results = parse_batch_response("multipart/mixed; boundary=batchresponse_x", _answer(parts))
    assert results == [PartResult(status, etag) for status, etag in parts]
