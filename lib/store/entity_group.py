"""Entity-group transactions (`$batch`) written and read here, sent through the table client's own pipeline.

azure-data-tables builds a batch with azure-core's generic multipart support: every part goes through a policy
pipeline on a fresh thread pool and the answer is parsed with the `email` package. In Python that costs the CPU of
about four single-entity writes, and one transaction per webhook is the ledger's whole budget. The parts written
here are the ones the SDK writes (a test compares them with the SDK's own body), and the outer request still runs
through the SDK's pipeline, so authentication (shared key or Entra ID), the service version, request ids and
retries are the SDK's.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote
from wsgiref.handlers import format_date_time

from azure.core.exceptions import HttpResponseError
from azure.core.rest import HttpRequest
from azure.data.tables import TableClient
from azure.data.tables._serialize import _add_entity_properties

OperationKind = Literal["create", "upsert_merge", "upsert_replace", "update_if_match", "delete"]
_STATUS_LINE = re.compile(rb"HTTP/1\.1 (\d{3})")
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_INDEX_PREFIX = re.compile(r"^(\d+):")


@dataclass(frozen=True)
class WireOperation:
    kind: OperationKind
    entity: Mapping[str, Any]  # as lib.store.entities.to_entity returns it, keys included
    etag: str | None = None


@dataclass(frozen=True)
class PartResult:
    status: int
    etag: str | None
    error_code: str | None = None
    message: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class BatchRejected(Exception):
    """The whole transaction was refused; `part` says how (Table Storage applies nothing in that case)."""

    def __init__(self, part: PartResult, operation_index: int | None) -> None:
        self.part = part
        self.operation_index = operation_index
        where = f"operation {operation_index}: " if operation_index is not None else ""
        super().__init__(f"{where}{part.status} {part.error_code or ''} {part.message or ''}".strip())


def encode_batch(base_url: str, table: str, operations: Sequence[WireOperation], *,
                 version: str) -> tuple[str, bytes]:
    """Returns the `$batch` Content-Type and body for one changeset holding `operations` in order."""
    date = format_date_time(time.time())
    batch = f"batch_{uuid.uuid4()}"
    changeset = f"changeset_{uuid.uuid4()}"
    table_url = f"{base_url}/{quote(table, safe='')}"
    lines = [f"--{batch}", f"Content-Type: multipart/mixed; boundary={changeset}", ""]
    for content_id, op in enumerate(operations):
        method, url, headers, payload = _part(table_url, op)
        lines += [f"--{changeset}", "Content-Type: application/http", "Content-Transfer-Encoding: binary",
                  f"Content-ID: {content_id}", "", f"{method} {url} HTTP/1.1"]
        if payload is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        lines += [f"x-ms-version: {version}", "DataServiceVersion: 3.0", *headers, f"x-ms-date: {date}",
                  f"Date: {date}", "", payload.decode() if payload is not None else ""]
    lines += [f"--{changeset}--", "", f"--{batch}--", ""]
    return f"multipart/mixed; boundary={batch}", "\r\n".join(lines).encode()


def _part(table_url: str, op: WireOperation) -> tuple[str, str, list[str], bytes | None]:
    entity = op.entity
    if op.kind == "create":
        payload = json.dumps(_add_entity_properties(entity)).encode()
        return "POST", table_url, ["Accept: application/json;odata=minimalmetadata"], payload
    key = (f"(PartitionKey='{quote(_escape_key(entity['PartitionKey']), safe='')}',"
           f"RowKey='{quote(_escape_key(entity['RowKey']), safe='')}')")
    url = table_url + key
    if op.kind == "delete":
        return "DELETE", url, ["Accept: application/json;odata=minimalmetadata", f"If-Match: {op.etag or '*'}"], None
    payload = json.dumps(_add_entity_properties(entity)).encode()
    if op.kind == "upsert_merge":
        return "PATCH", url, ["Accept: application/json"], payload
    if op.kind == "upsert_replace":
        return "PUT", url, ["Accept: application/json"], payload
    if op.etag is None:
        raise ValueError("update_if_match needs the ETag it was read with")
    return "PUT", url, ["Accept: application/json", f"If-Match: {op.etag}"], payload


def _escape_key(key: str) -> str:
    return key.replace("'", "''")  # OData string literal quoting, as the SDK does


def parse_batch_response(content_type: str, body: bytes) -> list[PartResult]:
    """Reads the `$batch` answer: one result per operation, or a single failed part when nothing was applied."""
    outer = _boundary(content_type)
    results: list[PartResult] = []
    for part in _split(body, outer):
        headers, content = _headers_and_content(part)
        inner_type = headers.get("content-type", "")
        if inner_type.lower().startswith("multipart/mixed"):
            for inner in _split(content, _boundary(inner_type)):
                results.append(_http_part(inner))
        else:
            results.append(_http_part(part))
    return results


def _boundary(content_type: str) -> str:
    found = _BOUNDARY.search(content_type)
    if found is None:
        raise ValueError(f"no multipart boundary in {content_type!r}")
    return found.group(1)


def _split(body: bytes, boundary: str) -> list[bytes]:
    delimiter = b"--" + boundary.encode()
    chunks = body.split(delimiter)
    parts = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break  # the closing delimiter
        parts.append(chunk.lstrip(b"\r\n"))
    return parts


def _headers_and_content(block: bytes) -> tuple[dict[str, str], bytes]:
    normalised = block.replace(b"\r\n", b"\n")
    head, _, content = normalised.partition(b"\n\n")
    headers: dict[str, str] = {}
    for line in head.split(b"\n"):
        name, sep, value = line.partition(b":")
        if sep:
            headers[name.decode("latin-1").strip().lower()] = value.decode("latin-1").strip()
    return headers, content


def _http_part(part: bytes) -> PartResult:
    _, embedded = _headers_and_content(part)  # the MIME headers (application/http, binary)
    status_line, _, rest = embedded.partition(b"\n")
    found = _STATUS_LINE.match(status_line)
    if found is None:
        raise ValueError(f"unexpected part in a batch answer: {status_line[:80]!r}")
    headers, content = _headers_and_content(rest)
    status = int(found.group(1))
    if 200 <= status < 300:
        return PartResult(status, headers.get("etag"))
    code, message = _odata_error(content.strip())
    return PartResult(status, None, code, message)


def _odata_error(content: bytes) -> tuple[str | None, str | None]:
    try:
        error = json.loads(content)["odata.error"]
        return error.get("code") or None, error.get("message", {}).get("value")
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, content.decode("utf-8", "replace")[:300] or None


def failed_operation(part: PartResult) -> int | None:
    """Table Storage prefixes the message with the failing operation's index ("1:The specified entity...")."""
    found = _INDEX_PREFIX.match(part.message or "")
    return int(found.group(1)) if found else None


def submit(client: TableClient, operations: Sequence[WireOperation]) -> list[str]:
    """Sends one transaction; returns the new ETags in order, or raises BatchRejected (nothing applied).

    Transport faults and the outer request's HTTP errors surface as azure-core exceptions, as the SDK's own
    calls do, so the caller translates them in one place.
    """
    # The SDK's private parts, used as its own submit_transaction uses them; azure-data-tables is pinned and a test
    # sends every kind of operation through Azurite, so a change there fails the suite, not production.
    base_url = f"{client.scheme}://{client._primary_hostname}"
    generated = client._client
    content_type, body = encode_batch(base_url, client.table_name, operations, version=generated._config.version)
    request = HttpRequest("POST", f"{base_url}/$batch", content=body, headers={
        "x-ms-version": generated._config.version, "DataServiceVersion": "3.0",
        "MaxDataServiceVersion": "3.0;NetFx", "Content-Type": content_type, "Accept": "application/json"})
    response = generated._client.send_request(request, stream=True)  # stream: the decode policy knows no multipart
    response.read()
    if response.status_code != 202:
        raise HttpResponseError(response=response)
    results = parse_batch_response(response.headers.get("Content-Type", ""), response.content)
    for part in results:
        if not part.ok:
            raise BatchRejected(part, failed_operation(part))
    if len(results) != len(operations):
        raise ValueError(f"the batch answer has {len(results)} parts for {len(operations)} operations")
    return [part.etag or "" for part in results]

