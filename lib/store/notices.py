"""The `notices` table: the outbox of notices to customers, and each customer's stage episode.

PartitionKey is the customer id. RowKey `episode` holds the number of the customer's current stage episode (it
goes up each time the customer leaves "current"); a notice's RowKey is `n-{episode:04d}-{template}`, so one notice
per stage per episode exists at most: a second scan, or two scans at once, collide on the insert. Every change
after the insert is ETag-guarded, which is what lets the sender claim a notice (`sending`) before talking to SMTP.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from lib.store.entities import Record, Value
from lib.store.errors import ConcurrencyConflict
from lib.store.tables import Table

EPISODE_ROW = "episode"
_FIRST, _AFTER_LAST = "n-", "n."  # notice RowKeys sort between these


def notice_id(episode: int, template: str) -> str:
    return f"n-{episode:04d}-{template}"


@dataclass(frozen=True)
class Notice:
    customer_id: str
    notice_id: str
    episode: int
    stage: str
    kind: str  # stage | pre_suspension
    status: str  # recorded | queued | sending | sent | failed
    facts: Mapping[str, Any]
    as_of: datetime  # the scan's as-of: a notice counts from this local date at the earliest
    suspension_date: date | None = None
    language: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    subject: str = ""
    text: str = ""
    html: str = ""
    message_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    sending_since: datetime | None = None
    sent_at: datetime | None = None
    attempts: int = 0
    last_error: str | None = None
    smtp_answer: str | None = None
    etag: str | None = field(default=None, compare=False)

    @property
    def rendered(self) -> bool:
        return bool(self.subject and self.text and self.language)

    def as_json(self, *, content: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "customer_id": self.customer_id, "notice_id": self.notice_id, "episode": self.episode,
            "stage": self.stage, "kind": self.kind, "status": self.status, "language": self.language,
            "to": list(self.to), "cc": list(self.cc), "subject": self.subject, "message_id": self.message_id,
            "suspension_date": self.suspension_date.isoformat() if self.suspension_date else None,
            "as_of": self.as_of.isoformat(), "attempts": self.attempts, "last_error": self.last_error,
            "smtp_answer": self.smtp_answer,
            **{name: (value.isoformat() if value else None) for name, value in (
                ("created_at", self.created_at), ("updated_at", self.updated_at), ("sent_at", self.sent_at))},
        }
        if content:
            body.update(text=self.text, html=self.html, facts=dict(self.facts))
        return body


class Notices:
    def __init__(self, table: Table) -> None:
        self._table = table

    def episode(self, customer_id: str) -> int:
        record = self._table.get(customer_id, EPISODE_ROW)
        return record.integer("number") if record else 0

    def current_episode(self, customer_id: str) -> int:
        """The customer's episode, the first one made if it has none yet (safe when called at once by many)."""
        number = self.episode(customer_id)
        if number:
            return number
        try:
            self._table.insert(customer_id, EPISODE_ROW, {"number": 1})
        except ConcurrencyConflict:
            return self.episode(customer_id)
        return 1

    def start_episode(self, customer_id: str, started_for: str = "") -> int:
        """The customer left "current": later notices belong to a new episode. `started_for` names the book it left
        from (its summary version): starting again for the same book is the same episode, so a decision retried
        after a failure part way (a redelivered queue message, the next scan) does not notify a second time."""
        for _ in range(5):
            record = self._table.get(customer_id, EPISODE_ROW)
            try:
                if record is None:
                    self._table.insert(customer_id, EPISODE_ROW, {"number": 1, "started_for": started_for})
                    return 1
                if started_for and record.text("started_for") == started_for:
                    return record.integer("number")
                number = record.integer("number") + 1
                self._table.update_if_match(record, {"number": number, "started_for": started_for})
                return number
            except ConcurrencyConflict:
                continue  # another writer moved it; read again
        raise ConcurrencyConflict(f"could not start a notice episode for {customer_id}")

    def create(self, notice: Notice) -> Notice | None:
        """Inserts the notice; None when this customer already has it (same episode and template)."""
        now = datetime.now(UTC)
        values = _values(dataclasses.replace(notice, created_at=now, updated_at=now))
        try:
            written = self._table.insert(notice.customer_id, notice.notice_id, values)
        except ConcurrencyConflict:
            return None
        return _notice(Record(notice.customer_id, notice.notice_id, values, written.etag))

    def save(self, notice: Notice) -> Notice:
        """Writes the whole notice if nobody changed it since it was read; ConcurrencyConflict otherwise."""
        values = _values(dataclasses.replace(notice, updated_at=datetime.now(UTC)))
        written = self._table.update_if_match(Record(notice.customer_id, notice.notice_id, etag=notice.etag), values)
        return _notice(Record(notice.customer_id, notice.notice_id, values, written.etag))

    def get(self, customer_id: str, notice_id: str) -> Notice | None:
        record = self._table.get(customer_id, notice_id)
        return _notice(record) if record is not None and record.row_key.startswith(_FIRST) else None

    def for_customer(self, customer_id: str, *, episode: int | None = None) -> list[Notice]:
        found = [_notice(r) for r in self._table.row_range(_FIRST, _AFTER_LAST, partition_key=customer_id)]
        return [n for n in found if episode is None or n.episode == episode]

    def with_status(self, status: str | None = None) -> Iterator[Notice]:
        for record in self._table.row_range(_FIRST, _AFTER_LAST, status=status):
            yield _notice(record)


def _values(notice: Notice) -> dict[str, Value]:
    return {
        "episode": notice.episode, "stage": notice.stage, "kind": notice.kind, "status": notice.status,
        "facts": json.dumps(dict(notice.facts), ensure_ascii=False), "as_of": notice.as_of,
        "suspension_date": notice.suspension_date.isoformat() if notice.suspension_date else None,
        "language": notice.language, "to": json.dumps(list(notice.to)), "cc": json.dumps(list(notice.cc)),
        "subject": notice.subject, "text": notice.text, "html": notice.html, "message_id": notice.message_id,
        "created_at": notice.created_at, "updated_at": notice.updated_at, "sending_since": notice.sending_since,
        "sent_at": notice.sent_at, "attempts": notice.attempts, "last_error": notice.last_error,
        "smtp_answer": notice.smtp_answer,
    }


def _notice(record: Record) -> Notice:
    as_of = record.moment("as_of")
    suspension = record.text("suspension_date")
    return Notice(
        customer_id=record.partition_key, notice_id=record.row_key, episode=record.integer("episode"),
        stage=record.text("stage"), kind=record.text("kind"), status=record.text("status"),
        facts=json.loads(record.text("facts", "{}")), as_of=as_of or datetime.min.replace(tzinfo=UTC),
        suspension_date=date.fromisoformat(suspension) if suspension else None,
        language=record.text("language") or None, to=tuple(json.loads(record.text("to", "[]"))),
        cc=tuple(json.loads(record.text("cc", "[]"))), subject=record.text("subject"), text=record.text("text"),
        html=record.text("html"), message_id=record.text("message_id") or None,
        created_at=record.moment("created_at"), updated_at=record.moment("updated_at"),
        sending_since=record.moment("sending_since"), sent_at=record.moment("sent_at"),
        attempts=record.integer("attempts"), last_error=record.text("last_error") or None,
        smtp_answer=record.text("smtp_answer") or None, etag=record.etag,
    )
