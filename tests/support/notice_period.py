"""The shipped policy gives notice before suspension (`[notices] notice_days_before_suspension`): a test that needs
a debtor suspended on day D first scans on D minus that period, when the customer is at least at the final-notice
stage, so the notice that names D is on record before D's scan suspends."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from lib.domain.policy import CollectionsPolicy
from lib.domain.policy_file import load_policy
from lib.settings import APP_ROOT


def notice_day(day: str, policy: CollectionsPolicy) -> str:
    """The local day, as YYYY-MM-DD, on which the notice must go out for a suspension on `day`."""
    return (date.fromisoformat(day) - timedelta(days=policy.notices.notice_days_before_suspension)).isoformat()


def shipped_policy() -> CollectionsPolicy:
    return load_policy(APP_ROOT / "policy" / "collections.toml")


def notice_days() -> int:
    """The shipped policy's notice period, which a development host started without COLLECTIONS_POLICY uses."""
    return shipped_policy().notices.notice_days_before_suspension


def local_day(days: int) -> str:
    """Today plus `days` as a local date (YYYY-MM-DD) in the shipped policy's business time zone."""
    return (datetime.now(shipped_policy().zone).date() + timedelta(days=days)).isoformat()
