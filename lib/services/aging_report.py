"""Receivables by age bucket (current, 1-30, 31-60, 61-90, 90+) and by collections stage, per currency.

Streams the accounts index, so it costs one pass over one small row per customer whatever the book's size.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import datetime
from typing import Any

from lib.domain.aging import BUCKET_NAMES, add_buckets, aging_buckets, empty_buckets
from lib.domain.policy import CURRENT, CollectionsPolicy
from lib.store.accounts import Accounts


def aging_report(accounts: Accounts, policy: CollectionsPolicy, as_of: datetime) -> dict[str, Any]:
    by_currency: dict[str, dict[str, Any]] = defaultdict(lambda: {
        "customers": 0, "totals": empty_buckets(), "by_stage": defaultdict(empty_buckets)})
    for row in accounts.scan():
        if not row.summary.open_invoices:
            continue
        currency = row.summary.currency or policy.currency
        buckets = aging_buckets(row.summary, as_of, policy.zone)
        group = by_currency[currency]
        group["customers"] += 1
        group["totals"] = add_buckets([group["totals"], buckets])
        stage = row.stage or CURRENT
        group["by_stage"][stage] = add_buckets([group["by_stage"][stage], buckets])
    currencies = {}
    for currency, group in sorted(by_currency.items()):
        totals = group["totals"]
        currencies[currency] = {
            "customers": group["customers"],
            "buckets": {**totals, "total": sum(totals.values())},
            "by_stage": {stage: {**b, "total": sum(b.values())} for stage, b in sorted(group["by_stage"].items())},
        }
    return {"as_of": as_of.isoformat(), "timezone": policy.timezone, "buckets": list(BUCKET_NAMES),
            "amounts_in": "minor units", "currencies": currencies}


def aging_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["currency", "stage", *report["buckets"], "total"])
    for currency, group in report["currencies"].items():
        for stage, buckets in group["by_stage"].items():
            writer.writerow([currency, stage, *(buckets[b] for b in report["buckets"]), buckets["total"]])
        writer.writerow([currency, "ALL", *(group["buckets"][b] for b in report["buckets"]),
                         group["buckets"]["total"]])
    return out.getvalue()
