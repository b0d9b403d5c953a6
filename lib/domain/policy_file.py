"""Read `policy/collections.toml` into a `CollectionsPolicy`, reporting every problem with its line.

`check_policy` is what `csp-guard policy check FILE` prints; `parse_policy` is the same check, raising.
Unknown keys are problems rather than ignored, so a misspelt rule cannot silently stop applying.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lib.domain.money import MoneyError, check_currency
from lib.domain.policy import (
    ACTIONS,
    CURRENT,
    SUSPEND,
    CollectionsPolicy,
    CustomerOverride,
    CustomerText,
    FraudThresholds,
    HoldLimits,
    NoticeRules,
    Prevention,
    Stage,
)
from lib.domain.policy_file_lines import LineLocator, field_name
from lib.domain.policy_file_lines import Path as KeyPath

SEVERITIES = ("low", "medium", "high")
_STAGE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_TOML_POSITION = re.compile(r"\s*\(at line (?P<line>\d+), column \d+\)|\s*\(at end of document\)")
_T = TypeVar("_T")


@dataclass(frozen=True)
class PolicyProblem:
    line: int  # 1-based; 0 when the file could not be read at all
    field: str
    message: str

    def format(self, source: str) -> str:
        where = f"{source}:{self.line}" if self.line else source
        return f"{where}: {self.field}: {self.message}"


class PolicyError(ValueError):
    """A policy file that cannot be used; `str()` is one "file:line: field: message" line per problem."""

    def __init__(self, source: str, problems: list[PolicyProblem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(problem.format(source) for problem in problems))


def check_policy(text: str, source: str) -> list[PolicyProblem]:
    return _read(text)[1]


def parse_policy(text: str, source: str) -> CollectionsPolicy:
    policy, problems = _read(text)
    if problems or policy is None:
        raise PolicyError(source, problems)
    return policy


def load_policy(path: str | PathLike[str]) -> CollectionsPolicy:
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyError(source, [PolicyProblem(0, "file", f"cannot read: {error}")]) from error
    return parse_policy(text, source)


def _read(text: str) -> tuple[CollectionsPolicy | None, list[PolicyProblem]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        position = _TOML_POSITION.search(message)
        line = len(text.splitlines()) or 1
        if position is not None and position["line"]:
            line = int(position["line"])
        return None, [PolicyProblem(line, "toml", _TOML_POSITION.sub("", message))]
    reader = _Reader(LineLocator(text))
    policy = reader.policy(data)
    problems = sorted(reader.problems, key=lambda problem: problem.line)
    return (None if problems else policy), problems


class _Reader:
    def __init__(self, locator: LineLocator) -> None:
        self.locator = locator
        self.problems: list[PolicyProblem] = []

    def problem(self, path: KeyPath, message: str) -> None:
        self.problems.append(PolicyProblem(self.locator.line_of(path), field_name(path), message))

    def table(self, parent: dict[str, Any], key: str, allowed: Iterable[str] | None) -> dict[str, Any]:
        value = parent.get(key, {})
        if not isinstance(value, dict):
            self.problem((key,), "must be a table")
            return {}
        if allowed is not None:
            self.known_keys(value, (key,), allowed)
        return value

    def known_keys(self, table: dict[str, Any], path: KeyPath, allowed: Iterable[str]) -> None:
        allowed = list(allowed)
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else f"; expected {', '.join(allowed)}"
                self.problem((*path, key), f"unknown key {key!r}{hint}")

    def value(self, table: dict[str, Any], path: KeyPath, kind: type[_T], default: _T, what: str) -> _T:
        key = path[-1]
        if not isinstance(key, str) or key not in table:
            return default
        value = table[key]
        if isinstance(value, bool) != (kind is bool) or not isinstance(value, kind):
            self.problem(path, f"must be {what}, got {value!r}")
            return default
        return value

    def integer(self, table: dict[str, Any], path: KeyPath, default: int, minimum: int = 0,
                maximum: int | None = None, unit: str = "") -> int:
        value = self.value(table, path, int, default, "a whole number" + (f" of {unit}" if unit else ""))
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
            self.problem(path, f"must be {bound}, got {value}")
            return default
        return value

    def text(self, table: dict[str, Any], path: KeyPath, default: str = "") -> str:
        return self.value(table, path, str, default, "a string")

    def choices(self, table: dict[str, Any], path: KeyPath, allowed: tuple[str, ...],
                default: tuple[str, ...]) -> tuple[str, ...]:
        values = self.value(table, path, list, list(default), f"a list of {' | '.join(allowed)}")
        good = [v for v in values if v in allowed]
        for v in values:
            if v not in allowed:
                self.problem(path, f"unknown value {v!r}; expected {' | '.join(allowed)}")
        if len(set(good)) != len(good):
            self.problem(path, "lists a value twice")
        return tuple(dict.fromkeys(good))

    def policy(self, data: dict[str, Any]) -> CollectionsPolicy:
        self.known_keys(data, (), ("timezone", "currency", "minimum_overdue", "grace_days", "stages", "holds",
                                   "customer_text", "fraud", "prevention", "customers", "notices"))
        timezone = self.value(data, ("timezone",), str, "", "an IANA time zone name such as 'Asia/Shanghai'")
        if "timezone" not in data:
            self.problem(("timezone",), "is required, e.g. timezone = \"Asia/Shanghai\"")
        elif timezone:
            try:
                ZoneInfo(timezone)
            except (ZoneInfoNotFoundError, ValueError):
                self.problem(("timezone",), f"unknown time zone {timezone!r}; expected e.g. 'Asia/Shanghai'")
                timezone = ""
        currency = self.text(data, ("currency",), "CNY")
        try:
            check_currency(currency)
        except MoneyError as error:
            self.problem(("currency",), str(error))
        return CollectionsPolicy(
            timezone=timezone or "UTC",
            currency=currency,
            minimum_overdue=self.integer(data, ("minimum_overdue",), 0, unit="minor units"),
            grace_days=self.integer(data, ("grace_days",), 0, maximum=365, unit="days"),
            stages=self.stages(data),
            holds=self.holds(data),
            customer_text=self.customer_text(data),
            fraud=self.fraud(data),
            prevention=self.prevention(data),
            customers=self.customers(data),
            notices=self.notices(data),
        )

    def stages(self, data: dict[str, Any]) -> tuple[Stage, ...]:
        raw = data.get("stages")
        if not isinstance(raw, list) or not raw or not all(isinstance(s, dict) for s in raw):
            self.problem(("stages",), "at least one [[stages]] table is required")
            return ()
        stages: list[Stage] = []
        seen: set[str] = set()
        for index, table in enumerate(raw):
            path: KeyPath = ("stages", index)
            self.known_keys(table, path, ("name", "days_past_due", "min_overdue", "min_unpaid_invoices",
                                          "actions"))
            name = self.text(table, (*path, "name"))
            if not _STAGE_NAME.match(name) or name == CURRENT:
                self.problem((*path, "name"), f"must be a lower-case identifier, not 'current', got {name!r}")
            elif name in seen:
                self.problem((*path, "name"), f"duplicate stage name {name!r}")
            seen.add(name)
            for required in ("name", "days_past_due", "actions"):
                if required not in table:
                    self.problem((*path, required), "is required")
            days = self.integer(table, (*path, "days_past_due"), 1, minimum=1, unit="days")
            if stages and days < stages[-1].days_past_due:
                self.problem((*path, "days_past_due"), f"stages must ascend: {days} is before the previous "
                             f"stage {stages[-1].name!r} at {stages[-1].days_past_due}")
            actions = self.choices(table, (*path, "actions"), ACTIONS, ())
            if "actions" in table and not table["actions"]:
                self.problem((*path, "actions"), "must list at least one action")
            if stages and SUSPEND in stages[-1].actions and SUSPEND not in actions:
                self.problem((*path, "actions"), "must include 'suspend' because an earlier stage suspends "
                             "(otherwise reaching this stage would restore access)")
            stages.append(Stage(
                name=name, days_past_due=days, actions=actions,
                min_overdue=self.integer(table, (*path, "min_overdue"), 0, unit="minor units"),
                min_unpaid_invoices=self.integer(table, (*path, "min_unpaid_invoices"), 0),
            ))
        return tuple(stages)

    def holds(self, data: dict[str, Any]) -> HoldLimits:
        table = self.table(data, "holds", ("promise_to_pay_max_days", "exemption_max_days"))
        return HoldLimits(
            promise_to_pay_max_days=self.integer(table, ("holds", "promise_to_pay_max_days"), 30, minimum=1),
            exemption_max_days=self.integer(table, ("holds", "exemption_max_days"), 365, minimum=1),
        )

    def customer_text(self, data: dict[str, Any]) -> CustomerText:
        keys = ("partner_name", "contact_email", "contact_phone", "payment_terms_days", "dispute_email",
                "dispute_url")
        table = self.table(data, "customer_text", keys)
        path: KeyPath = ("customer_text",)
        for key in ("contact_email", "dispute_email"):
            address = self.text(table, (*path, key))
            if address and "@" not in address:
                self.problem((*path, key), "must be an e-mail address or empty")
        return CustomerText(
            partner_name=self.text(table, (*path, "partner_name"), CustomerText.partner_name),
            contact_email=self.text(table, (*path, "contact_email")),
            contact_phone=self.text(table, (*path, "contact_phone")),
            payment_terms_days=self.integer(table, (*path, "payment_terms_days"), 30, maximum=365),
            dispute_email=self.text(table, (*path, "dispute_email")),
            dispute_url=self.text(table, (*path, "dispute_url")),
        )

    def fraud(self, data: dict[str, Any]) -> FraudThresholds:
        defaults = FraudThresholds()
        table = self.table(data, "fraud", FraudThresholds.__dataclass_fields__)
        path: KeyPath = ("fraud",)
        multiplier = table.get("usage_spike_multiplier", defaults.usage_spike_multiplier)
        if isinstance(multiplier, bool) or not isinstance(multiplier, int | float) or not multiplier > 1:
            self.problem((*path, "usage_spike_multiplier"), f"must be a number above 1, got {multiplier!r}")
            multiplier = defaults.usage_spike_multiplier
        return FraudThresholds(
            usage_spike_multiplier=float(multiplier),
            new_customer_days=self.integer(table, (*path, "new_customer_days"), 30, minimum=1),
            new_customer_spend_limit=self.integer(table, (*path, "new_customer_spend_limit"),
                                                  defaults.new_customer_spend_limit, unit="minor units"),
            failed_payments_before_spend_jump=self.integer(
                table, (*path, "failed_payments_before_spend_jump"), 3, minimum=1),
            suspend_on=self.choices(table, (*path, "suspend_on"), SEVERITIES, defaults.suspend_on),
            service_request_on=self.choices(table, (*path, "service_request_on"), SEVERITIES,
                                            defaults.service_request_on),
        )

    def notices(self, data: dict[str, Any]) -> NoticeRules:
        table = self.table(data, "notices", NoticeRules.__dataclass_fields__)
        return NoticeRules(self.integer(table, ("notices", "notice_days_before_suspension"), 0, maximum=90,
                                        unit="days"))

    def prevention(self, data: dict[str, Any]) -> Prevention:
        table = self.table(data, "prevention", Prevention.__dataclass_fields__)
        return Prevention(
            new_customer_budget=self.integer(table, ("prevention", "new_customer_budget"), 1_000_000,
                                             unit="minor units"),
            budget_alert_percent=self.integer(table, ("prevention", "budget_alert_percent"), 80, 1, 100),
        )

    def customers(self, data: dict[str, Any]) -> dict[str, CustomerOverride]:
        table = self.table(data, "customers", None)
        overrides: dict[str, CustomerOverride] = {}
        for key, raw in table.items():
            path: KeyPath = ("customers", key)
            if not isinstance(raw, dict):
                self.problem(path, 'must be a table [customers."<tenant-guid>"]')
                continue
            if not _GUID.match(key):
                self.problem(path, f"{key!r} is not a customer tenant id (a GUID)")
            elif key.lower() in overrides:
                self.problem(path, f"customer {key.lower()} has more than one override table")
            self.known_keys(raw, path, ("grace_days", "minimum_overdue", "never_suspend", "note"))
            overrides[key.lower()] = CustomerOverride(
                customer_id=key.lower(),
                grace_days=self.integer(raw, (*path, "grace_days"), 0, maximum=365) if "grace_days" in raw
                else None,
                minimum_overdue=self.integer(raw, (*path, "minimum_overdue"), 0, unit="minor units")
                if "minimum_overdue" in raw else None,
                never_suspend=self.value(raw, (*path, "never_suspend"), bool, False, "true or false"),
                note=self.text(raw, (*path, "note")),
            )
        return overrides
