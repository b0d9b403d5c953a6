"""The `payers` table: the bank accounts and payer names that identify each customer's transfers.

Rows:
- `customer:{customer_id}` / `payers`: what the operator registered, as written (shown back by the route);
- `account:{account key}` / `claim` and `name:{name key}` / `claim`: the index a statement import reads. One claim
  per key, naming its customer, so finding the customer of a transfer is a point read (PartitionKey and RowKey both
  known), never a scan; and since a claim is created with insert, two customers can never hold the same key.

A registration first checks every claim it needs, then creates the missing ones (undoing its own on a lost race),
then writes the customer row, then drops the claims the customer no longer lists.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from lib.store.errors import ConcurrencyConflict, EntityNotFound
from lib.store.tables import Table

CLAIM = "claim"
PAYERS_ROW = "payers"
# Characters a Table Storage key may not hold, and the escape character itself, become %XX.
_ESCAPED = frozenset("%/\\#?") | {chr(c) for c in range(0x20)} | {chr(c) for c in range(0x7F, 0xA0)}


@dataclass(frozen=True)
class Payers:
    customer_id: str
    accounts: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    updated_by: str | None = None
    updated_at: datetime | None = None

    def as_json(self) -> dict[str, object]:
        return {"customer_id": self.customer_id, "accounts": list(self.accounts), "names": list(self.names),
                "updated_by": self.updated_by,
                "updated_at": self.updated_at.isoformat() if self.updated_at else None}


@dataclass(frozen=True)
class Claim:
    kind: str  # account | name
    key: str  # the comparison key (account_key / name_key)
    value: str  # as the operator wrote it, for messages


class ClaimedByAnother(Exception):
    """A key the registration needs is held by another customer."""

    def __init__(self, claim: Claim, holder: str) -> None:
        super().__init__(f"{claim.kind} {claim.value!r} already identifies customer {holder}")
        self.claim = claim
        self.holder = holder


def escape_key(text: str) -> str:
    return "".join(f"%{ord(ch):02X}" if ch in _ESCAPED else ch for ch in text)


def _claim_pk(kind: str, key: str) -> str:
    return f"{kind}:{escape_key(key)}"


class PayerIndex:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, customer_id: str) -> Payers | None:
        record = self._table.get(f"customer:{customer_id}", PAYERS_ROW)
        if record is None:
            return None
        return Payers(customer_id, tuple(json.loads(record.text("accounts", "[]"))),
                      tuple(json.loads(record.text("names", "[]"))), record.text("updated_by") or None,
                      record.moment("updated_at"))

    def customer_for(self, kind: str, key: str) -> str | None:
        """The customer holding this account or name key, by one point read."""
        record = self._table.get(_claim_pk(kind, key), CLAIM)
        return record.text("customer_id") or None if record else None

    def replace(self, customer_id: str, claims: list[Claim], payers: Payers) -> Payers:
        """Make `claims` exactly the keys this customer holds and store `payers` as its registration.

        Raises ClaimedByAnother (changing nothing) when a key belongs to another customer.
        """
        for claim in claims:
            holder = self.customer_for(claim.kind, claim.key)
            if holder is not None and holder != customer_id:
                raise ClaimedByAnother(claim, holder)
        created: list[Claim] = []
        for claim in claims:
            try:
                self._table.insert(_claim_pk(claim.kind, claim.key), CLAIM,
                                   {"customer_id": customer_id, "value": claim.value})
                created.append(claim)
            except ConcurrencyConflict:
                holder = self.customer_for(claim.kind, claim.key)
                if holder is not None and holder != customer_id:
                    self._drop(customer_id, created)
                    raise ClaimedByAnother(claim, holder) from None
        previous = self._keys(customer_id)
        stamped = Payers(customer_id, payers.accounts, payers.names, payers.updated_by, datetime.now(UTC))
        self._table.upsert(f"customer:{customer_id}", PAYERS_ROW, {
            "accounts": json.dumps(list(stamped.accounts), ensure_ascii=False),
            "names": json.dumps(list(stamped.names), ensure_ascii=False),
            "keys": json.dumps([[c.kind, c.key] for c in claims], ensure_ascii=False),
            "updated_by": stamped.updated_by, "updated_at": stamped.updated_at}, replace=True)
        kept = {(c.kind, c.key) for c in claims}
        self._drop(customer_id, [c for c in previous if (c.kind, c.key) not in kept])
        return stamped

    def _keys(self, customer_id: str) -> list[Claim]:
        """The keys the customer's current registration holds (stored beside it when it was written)."""
        record = self._table.get(f"customer:{customer_id}", PAYERS_ROW)
        pairs = json.loads(record.text("keys", "[]")) if record else []
        return [Claim(kind, key, key) for kind, key in pairs]

    def _drop(self, customer_id: str, claims: list[Claim]) -> None:
        for claim in claims:
            record = self._table.get(_claim_pk(claim.kind, claim.key), CLAIM)
            if record is None or record.text("customer_id") != customer_id:
                continue  # never remove another customer's claim
            try:
                self._table.delete(record.partition_key, record.row_key, etag=record.etag)
            except (EntityNotFound, ConcurrencyConflict):
                continue
