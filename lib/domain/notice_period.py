"""No suspension without notice: the rule that decides whether a suspension for non-payment may happen today.

A suspension may happen on a local date D only when a notice of the customer's current episode named a suspension
date on or before D and was given (sent; or recorded where NOTICES_MODE=record) at least
`notice_days_before_suspension` local days before D. With 0 days the notice made by the same scan suffices.
Pure: the caller reduces its stored notices to `GivenNotice`s.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

# A notice's life: recorded (NOTICES_MODE=record: rendered and kept, never sent) | queued -> sending -> sent | failed
NOTICE_STATUSES = ("recorded", "queued", "sending", "sent", "failed")


@dataclass(frozen=True)
class GivenNotice:
    named_suspension_date: date | None
    given_on: date | None  # local date from which it counts; None while not (yet) given
    made_now: bool = False  # made by the scan deciding right now
    failed: bool = False


@dataclass(frozen=True)
class NoticePeriodVerdict:
    allowed: bool
    needs_notice: bool  # no usable notice names a date: the pre-suspension notice must be made now
    earliest: date | None  # the first date a named, given notice allows


def counts_as_given(status: str, *, record_mode: bool) -> bool:
    return status == "sent" or (record_mode and status == "recorded")


def given_on(status: str, effective: date | None, *, record_mode: bool) -> date | None:
    return effective if counts_as_given(status, record_mode=record_mode) else None


def judge(notices: Iterable[GivenNotice], today: date, days: int) -> NoticePeriodVerdict:
    period = timedelta(days=days)
    naming = [n for n in notices if n.named_suspension_date is not None and not n.failed]
    earliest: date | None = None
    for notice in naming:
        start = notice.given_on
        if start is None and notice.made_now and days == 0:
            start = today  # with no period, the notice from this very scan suffices
        if start is None:
            continue
        assert notice.named_suspension_date is not None
        allowed_from = max(start + period, notice.named_suspension_date)
        earliest = allowed_from if earliest is None else min(earliest, allowed_from)
    return NoticePeriodVerdict(allowed=earliest is not None and earliest <= today, needs_notice=not naming,
                               earliest=earliest)
