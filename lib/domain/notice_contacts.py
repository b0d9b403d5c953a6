"""The body of `PUT /api/customers/{id}/contacts`: who receives the customer's notices, and in which language.

`{"to": [...], "cc": [...], "language": "zh-CN" | "en" | null}`; an empty `to` means the Partner Center billing
profile's e-mail. Addresses are plain `user@domain` (no display names: nothing for a header to be injected with).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

LANGUAGES = ("zh-CN", "en")
MAX_ADDRESSES = 20
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


class ContactsError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class ContactRequest:
    to: tuple[str, ...]
    cc: tuple[str, ...]
    language: str | None


def is_address(text: str) -> bool:
    return len(text) <= 254 and bool(_ADDRESS.match(text))


def parse_contacts(body: Any) -> ContactRequest:
    if not isinstance(body, dict):
        raise ContactsError("body", "must be a JSON object")
    unknown = set(body) - {"to", "cc", "language"}
    if unknown:
        raise ContactsError(sorted(unknown)[0], "unknown field; expected to, cc, language")
    lists = {name: _addresses(body.get(name, []), name) for name in ("to", "cc")}
    language = body.get("language")
    if language is not None and language not in LANGUAGES:
        raise ContactsError("language", f"must be one of {', '.join(LANGUAGES)} or null")
    if lists["cc"] and not lists["to"]:
        raise ContactsError("cc", "needs at least one address in to")
    return ContactRequest(lists["to"], lists["cc"], language)


def _addresses(value: Any, field: str) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > MAX_ADDRESSES:
        raise ContactsError(field, f"must be a list of at most {MAX_ADDRESSES} e-mail addresses")
    for item in value:
        if not isinstance(item, str) or not is_address(item.strip()):
            raise ContactsError(field, f"{item!r} is not an e-mail address")
    return tuple(dict.fromkeys(item.strip().lower() for item in value))
