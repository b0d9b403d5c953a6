"""Who pays for whom: registering a customer's payer accounts and names, and finding the customer of a transfer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lib.domain.payer_names import PayerValueError, account_key, checked_account, checked_name, name_key
from lib.store.payers import Claim, ClaimedByAnother, PayerIndex, Payers

MAX_ENTRIES = 50  # per list; a customer with more payers than this is better served by a conversation


class InvalidPayers(ValueError):
    """A payers body that cannot be stored; `field` names the offending value (e.g. `names[2]`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class PayerConflict(Exception):
    """An account or name that already identifies another customer."""

    def __init__(self, field: str, message: str, holder: str) -> None:
        super().__init__(message)
        self.field = field
        self.holder = holder


@dataclass(frozen=True)
class PayersRequest:
    accounts: tuple[str, ...]
    names: tuple[str, ...]
    claims: tuple[Claim, ...]
    fields: Mapping[tuple[str, str], str]  # (kind, key) -> the body path that asked for it


def parse_payers(body: object) -> PayersRequest:
    """`{"accounts": [...], "names": [...]}`: both lists of text, either may be empty, nothing else in the body."""
    if not isinstance(body, Mapping):
        raise InvalidPayers("body", "must be a JSON object with accounts and names")
    unknown = sorted(set(body) - {"accounts", "names"})
    if unknown:
        raise InvalidPayers(unknown[0], "unknown member; expected accounts and names")
    claims: list[Claim] = []
    fields: dict[tuple[str, str], str] = {}
    lists: dict[str, tuple[str, ...]] = {}
    for member, kind, check in (("accounts", "account", checked_account), ("names", "name", checked_name)):
        values = body.get(member, [])
        if not isinstance(values, list):
            raise InvalidPayers(member, "must be a list of text")
        if len(values) > MAX_ENTRIES:
            raise InvalidPayers(member, f"lists more than {MAX_ENTRIES} entries")
        for index, value in enumerate(values):
            path = f"{member}[{index}]"
            try:
                key = check(value)
            except PayerValueError as exc:
                raise InvalidPayers(path, str(exc)) from None
            earlier = fields.setdefault((kind, key), path)
            if earlier != path:
                raise InvalidPayers(path, f"is the same {kind} as {earlier}")
            claims.append(Claim(kind, key, value))
        lists[member] = tuple(str(v).strip() for v in values)
    return PayersRequest(lists["accounts"], lists["names"], tuple(claims), fields)


class PayerDirectory:
    def __init__(self, index: PayerIndex) -> None:
        self._index = index

    def register(self, customer_id: str, request: PayersRequest, *, actor: str) -> Payers:
        """Replace the customer's payers with the request's; PayerConflict (nothing changed) if one is taken."""
        try:
            return self._index.replace(customer_id, list(request.claims),
                                       Payers(customer_id, request.accounts, request.names, actor))
        except ClaimedByAnother as exc:
            field = request.fields[(exc.claim.kind, exc.claim.key)]
            raise PayerConflict(field, str(exc), exc.holder) from None

    def registered(self, customer_id: str) -> Payers:
        return self._index.get(customer_id) or Payers(customer_id)

    def customer_of(self, account: str | None, name: str | None) -> tuple[str, str] | None:
        """(customer id, what matched: `account` or `name`): the account first, since names are shared more."""
        if account:
            key = account_key(account)
            customer = self._index.customer_for("account", key) if key else None
            if customer:
                return customer, "account"
        if name:
            key = name_key(name)
            customer = self._index.customer_for("name", key) if key else None
            if customer:
                return customer, "name"
        return None
