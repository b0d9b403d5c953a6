"""Table Storage access over azure-data-tables: prefixed tables, typed records, transactions, ETag guards.

Services talk to `TableStore` and `Table`, never to the SDK, so that SDK errors become the named errors in
`lib.store.errors` in one place.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from azure.core import MatchConditions
from azure.core.credentials import TokenCredential
from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.pipeline.transport import RequestsTransport
from azure.data.tables import TableClient, TableServiceClient, UpdateMode

from lib.settings import StorageSettings
from lib.store import entity_group
from lib.store.entities import Record, Value, from_entity, to_entity
from lib.store.errors import ConcurrencyConflict, EntityNotFound, StorageUnavailable, StoreError

TABLES = ("ledger", "accounts", "subscriptions", "actions", "cases", "unmatched", "runs", "payers", "transfers",
          "notices", "contacts", "companies", "agenda", "proposals")
TableName = Literal["ledger", "accounts", "subscriptions", "actions", "cases", "unmatched", "runs", "payers",
                    "transfers", "notices", "contacts", "companies", "agenda", "proposals"]
MAX_BATCH = 100  # entity-group transaction limit
T = TypeVar("T")

# Bounded so a down storage account fails a request in seconds, not minutes of SDK retries.
CLIENT_OPTIONS: dict[str, Any] = {"retry_total": 3, "retry_backoff_factor": 0.4, "connection_timeout": 5,
                                  "read_timeout": 30}
_PROXY_SETTINGS = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}
_CA_BUNDLE_SETTINGS = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def transport_options(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """requests re-reads the environment (proxies, CA bundle) on every call, and that scan costs about as much CPU as
    the rest of a storage call's client-side work. Read it once here instead: a CA bundle becomes the transport's
    verify path. Only a proxy setting, whose per-host bypass rules requests applies, keeps the per-call scan."""
    if any(name.lower() in _PROXY_SETTINGS for name in environ):
        return {}
    bundle = next((environ[name] for name in _CA_BUNDLE_SETTINGS if environ.get(name)), None)
    if bundle is None:
        return {"transport": RequestsTransport(use_env_settings=False)}
    return {"transport": RequestsTransport(use_env_settings=False, connection_verify=bundle)}


@dataclass(frozen=True)
class Operation:
    """One step of an entity-group transaction."""

    kind: entity_group.OperationKind
    partition_key: str
    row_key: str
    values: Mapping[str, Value]
    etag: str | None = None


def create(pk: str, rk: str, values: Mapping[str, Value]) -> Operation:
    return Operation("create", pk, rk, values)


def upsert(pk: str, rk: str, values: Mapping[str, Value], *, replace: bool = False) -> Operation:
    return Operation("upsert_replace" if replace else "upsert_merge", pk, rk, values)


def replace_if_match(record: Record, values: Mapping[str, Value]) -> Operation:
    if record.etag is None:
        raise ValueError("replace_if_match needs a record read with its ETag")
    return Operation("update_if_match", record.partition_key, record.row_key, values, record.etag)


def delete(pk: str, rk: str) -> Operation:
    return Operation("delete", pk, rk, {})


def translate_errors(call: Callable[[], T]) -> T:
    """Runs one SDK call and turns its failures into the named store errors."""
    try:
        return call()
    except (ResourceModifiedError, ResourceExistsError) as exc:
        raise ConcurrencyConflict(_short(exc)) from exc
    except ResourceNotFoundError as exc:
        raise EntityNotFound(_short(exc)) from exc
    except (ServiceRequestError, ServiceResponseError) as exc:
        raise StorageUnavailable(f"storage unreachable: {_short(exc)}") from exc
    except HttpResponseError as exc:
        if exc.status_code == 412 or exc.status_code == 409:
            raise ConcurrencyConflict(_short(exc)) from exc
        if exc.status_code is not None and exc.status_code >= 500:
            raise StorageUnavailable(f"storage error {exc.status_code}: {_short(exc)}") from exc
        raise StoreError(_short(exc)) from exc


class Table:
    def __init__(self, client: TableClient, name: str) -> None:
        self._client = client
        self.name = name

    def get(self, partition_key: str, row_key: str) -> Record | None:
        try:
            entity = translate_errors(lambda: self._client.get_entity(partition_key, row_key))
        except EntityNotFound:
            return None
        return from_entity(entity)

    def insert(self, partition_key: str, row_key: str, values: Mapping[str, Value]) -> Record:
        """Creates the entity; ConcurrencyConflict if it exists already."""
        entity = to_entity(partition_key, row_key, values)
        meta = translate_errors(lambda: self._client.create_entity(entity))
        return Record(partition_key, row_key, dict(values), meta.get("etag"))

    def upsert(self, partition_key: str, row_key: str, values: Mapping[str, Value], *, replace: bool = False) -> str:
        entity = to_entity(partition_key, row_key, values)
        mode = UpdateMode.REPLACE if replace else UpdateMode.MERGE
        meta = translate_errors(lambda: self._client.upsert_entity(entity, mode=mode))
        return str(meta.get("etag", ""))

    def update_if_match(self, record: Record, values: Mapping[str, Value], *, replace: bool = True) -> Record:
        """Writes only if nobody changed the entity since `record` was read; ConcurrencyConflict otherwise."""
        if record.etag is None:
            raise ValueError("update_if_match needs a record read with its ETag")
        entity = to_entity(record.partition_key, record.row_key, values)
        mode = UpdateMode.REPLACE if replace else UpdateMode.MERGE
        meta = translate_errors(lambda: self._client.update_entity(
            entity, mode=mode, etag=record.etag, match_condition=MatchConditions.IfNotModified))
        merged = dict(values) if replace else {**record.values, **values}
        return Record(record.partition_key, record.row_key, merged, meta.get("etag"))

    def delete(self, partition_key: str, row_key: str, *, etag: str | None = None) -> None:
        if etag is None:
            translate_errors(lambda: self._client.delete_entity(partition_key, row_key))
        else:
            translate_errors(lambda: self._client.delete_entity(
                partition_key, row_key, etag=etag, match_condition=MatchConditions.IfNotModified))

    def query(self, query_filter: str, parameters: Mapping[str, Any] | None = None, *,
              page_size: int = 1000, select: Sequence[str] | None = None) -> Iterator[Record]:
        """Streams matching records page by page; nothing is loaded whole. Use @name parameters, not f-strings."""
        pages = translate_errors(lambda: self._client.query_entities(
            query_filter, parameters=dict(parameters or {}), results_per_page=page_size,
            select=list(select) if select else None).by_page())
        while True:
            page = translate_errors(lambda: next(pages, None))
            if page is None:
                return
            for entity in translate_errors(lambda p=page: list(p)):  # type: ignore[misc]
                yield from_entity(entity)

    def partition(self, partition_key: str, *, page_size: int = 1000) -> Iterator[Record]:
        return self.query("PartitionKey eq @pk", {"pk": partition_key}, page_size=page_size)

    def row_range(self, first: str, last: str, *, partition_key: str | None = None,
                  status: str | None = None) -> Iterator[Record]:
        """Rows whose RowKey is in [first, last) (a kind of row sharing its table with others), in one partition or
        across all, optionally of one `status`."""
        query = "RowKey ge @first and RowKey lt @last"
        params: dict[str, Any] = {"first": first, "last": last}
        if partition_key is not None:
            query, params["pk"] = "PartitionKey eq @pk and " + query, partition_key
        if status:
            query, params["status"] = query + " and status eq @status", status
        return self.query(query, params)

    def transact(self, operations: Sequence[Operation]) -> list[str]:
        """One entity-group transaction: all operations in one partition, all applied or none.

        Returns the new ETags in order. A failed If-Match or a create that collides raises ConcurrencyConflict;
        Table Storage has then applied nothing.
        """
        if not operations:
            return []
        if len(operations) > MAX_BATCH:
            raise ValueError(f"a transaction takes at most {MAX_BATCH} operations")
        if len({op.partition_key for op in operations}) != 1:
            raise ValueError("a transaction must stay inside one partition")
        wire = [entity_group.WireOperation(op.kind, to_entity(op.partition_key, op.row_key, op.values), op.etag)
                for op in operations]
        try:
            return translate_errors(lambda: entity_group.submit(self._client, wire))
        except entity_group.BatchRejected as exc:
            if exc.part.status in (409, 412):
                raise ConcurrencyConflict(str(exc)) from exc
            if exc.part.status == 404 and exc.part.error_code != "TableNotFound":
                raise EntityNotFound(str(exc)) from exc
            if exc.part.status >= 500:
                raise StorageUnavailable(f"storage error {exc}") from exc
            raise StoreError(str(exc)) from exc


class TableStore:
    """The app's tables, each named `{prefix}{name}`, created on first use in this process."""

    def __init__(self, service: TableServiceClient, prefix: str) -> None:
        self._service = service
        self.prefix = prefix
        self._tables: dict[str, Table] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, storage: StorageSettings, prefix: str,
                      credential: TokenCredential | None = None, **options: Any) -> TableStore:
        return cls(table_service_client(storage, credential, **options), prefix)

    def table(self, name: TableName) -> Table:
        table = self._tables.get(name)
        if table is None:
            with self._lock:
                table = self._tables.get(name)
                if table is None:
                    full_name = f"{self.prefix}{name}"
                    table = Table(self._service.get_table_client(full_name), full_name)
                    self._tables[name] = table
        return table

    def ensure_tables(self) -> None:
        """Creates any missing table; cheap when they all exist."""
        for name in TABLES:
            translate_errors(functools.partial(self._service.create_table_if_not_exists, f"{self.prefix}{name}"))

    def drop_tables(self) -> None:
        for name in TABLES:
            translate_errors(functools.partial(self._service.delete_table, f"{self.prefix}{name}"))

    def ping(self) -> None:
        """A real round trip: lists one table. Raises StorageUnavailable when storage does not answer."""
        translate_errors(lambda: next(iter(self._service.query_tables(
            "TableName eq @n", parameters={"n": f"{self.prefix}runs"}, results_per_page=1)), None))


def table_service_client(storage: StorageSettings, credential: TokenCredential | None = None,
                         **options: Any) -> TableServiceClient:
    merged = {**CLIENT_OPTIONS, **transport_options(), **options}
    if storage.connection_string is not None:
        return TableServiceClient.from_connection_string(storage.connection_string, **merged)
    assert storage.table_endpoint is not None
    return TableServiceClient(endpoint=storage.table_endpoint, credential=credential or default_credential(storage),
                              **merged)


def default_credential(storage: StorageSettings) -> TokenCredential:
    from azure.identity import DefaultAzureCredential

    # AZURE_AUTHORITY_HOST (login.chinacloudapi.cn in Azure China) is read by azure-identity itself.
    return DefaultAzureCredential(managed_identity_client_id=storage.managed_identity_client_id)


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
