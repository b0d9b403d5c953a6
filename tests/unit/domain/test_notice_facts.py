"""What a notice says: the overdue invoices, and the next step with the date the calendar alone gives it."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from lib.domain.notice_facts import (
    PRE_SUSPENSION,
    STAGE_NOTICE,
    NoticeFacts,
    local_noon,
    money_text,
    next_step,
    notice_facts,
    reached_stage,
)
from lib.domain.policy import CURRENT, Hold, stage_rank
from lib.domain.policy_file import load_policy, parse_policy
from lib.domain.summary import LedgerSummary, OpenInvoice

SHIPPED = load_policy(Path(__file__).parents[3] / "policy" / "collections.toml")
CUSTOMER = "3f2c1a9e-5b7d-4c8e-9a1f-2d3e4f5a6b7c"


def due(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T23:59:59+08:00")


def book(*invoices: tuple[str, str, int], disputes: int = 0) -> LedgerSummary:
    items = tuple(sorted(OpenInvoice(due(d), inv, amount) for inv, d, amount in invoices))
    return LedgerSummary(currency="CNY", balance=sum(i.remaining for i in items), open_invoices=items,
                         open_disputes=disputes)


def facts_on(day: str, summary: LedgerSummary, stage: str, kind: str = STAGE_NOTICE, policy=SHIPPED, hold=None):
    return notice_facts(policy, CUSTOMER, "上海云帆科技有限公司", summary, stage=stage, kind=kind,
                        as_of=local_noon(date.fromisoformat(day), policy), hold=hold)


def test_money_is_printed_in_yuan_with_thousands_and_two_decimals():
    assert money_text(1_234_567, "CNY") == "¥12,345.67"
    assert money_text(5, "CNY") == "¥0.05"
    assert money_text(1_234_567, "USD") == "12,345.67 USD"


def test_the_reminder_names_the_day_the_final_notice_follows_and_lists_only_overdue_invoices():
    summary = book(("INV-1", "2026-11-30", 1_250_000), ("INV-2", "2026-12-31", 80_000))
    facts = facts_on("2026-12-01", summary, "reminder")
    assert [(i.invoice_id, i.due_date) for i in facts.invoices] == [("INV-1", date(2026, 11, 30))]
    assert facts.overdue_amount == 1_250_000 and facts.days_past_due == 1
    assert facts.next_step is not None and facts.next_step.stage == "final_notice"
    assert facts.next_step.on == date(2026, 12, 15) and not facts.next_step.suspends
    assert facts.suspension_date is None


def test_the_final_notice_names_the_suspension_date_from_the_policy():
    facts = facts_on("2026-12-15", book(("INV-1", "2026-11-30", 1_250_000)), "final_notice")
    assert facts.next_step.stage == "suspension" and facts.suspension_date == date(2026, 12, 30)


def test_a_suspension_is_never_named_before_the_notice_period_ends():
    policy = parse_policy(SHIPPED_TEXT.replace("days_past_due = 30", "days_past_due = 18"), "p")
    facts = facts_on("2026-12-15", book(("INV-1", "2026-11-30", 1_250_000)), "final_notice", policy=policy)
    assert facts.suspension_date == date(2026, 12, 22)  # day 18 would be 12-18; 7 days' notice moves it


def test_a_suspension_needing_more_overdue_money_waits_for_the_next_invoice_to_fall_due():
    summary = book(("INV-1", "2026-11-30", 60_000), ("INV-2", "2027-01-10", 60_000))
    facts = facts_on("2026-12-15", summary, "final_notice")
    # 30 days past due on 12-30, but only 600 yuan overdue until INV-2 is late on 01-11.
    assert facts.suspension_date == date(2027, 1, 11)


def test_no_later_step_is_named_when_the_calendar_alone_never_reaches_one():
    facts = facts_on("2026-12-15", book(("INV-1", "2026-11-30", 60_000)), "final_notice")
    assert facts.next_step is None and facts.suspension_date is None


def test_a_promise_to_pay_moves_the_next_step_past_its_date():
    hold = Hold("promise_to_pay", date(2026, 12, 20))
    step = next_step(SHIPPED, CUSTOMER, book(("INV-1", "2026-11-30", 1_250_000)), stage="reminder",
                     today=date(2026, 12, 10), hold=hold)
    assert step.stage == "final_notice" and step.on == date(2026, 12, 21)


def test_an_open_dispute_means_the_next_stage_is_not_announced_as_a_suspension():
    facts = facts_on("2026-12-15", book(("INV-1", "2026-11-30", 1_250_000), disputes=1), "final_notice")
    assert facts.next_step.stage == "suspension" and not facts.next_step.suspends
    assert facts.suspension_date is None


def test_the_pre_suspension_notice_names_the_first_date_the_notice_period_allows():
    facts = facts_on("2026-12-31", book(("INV-1", "2026-11-30", 1_250_000)), "suspension", kind=PRE_SUSPENSION)
    assert facts.suspension_date == date(2027, 1, 7) and facts.days_past_due == 31


def test_facts_survive_a_round_trip_through_json():
    facts = facts_on("2026-12-15", book(("INV-1", "2026-11-30", 1_250_000)), "final_notice")
    assert NoticeFacts.from_json(facts.as_json()) == facts


SHIPPED_TEXT = (Path(__file__).parents[3] / "policy" / "collections.toml").read_text(encoding="utf-8")

invoice_sets = st.lists(st.tuples(st.integers(-60, 60), st.integers(1, 300_000)), min_size=1, max_size=4)


@settings(max_examples=60, deadline=None)
@given(invoice_sets)
def test_the_named_date_is_the_first_day_the_calendar_raises_the_stage(items):
    today = date(2026, 12, 1)
    summary = book(*((f"I{n}", (today + timedelta(days=offset)).isoformat(), amount)
                     for n, (offset, amount) in enumerate(items)))
    stage = reached_stage(SHIPPED, CUSTOMER, summary, today)
    step = next_step(SHIPPED, CUSTOMER, summary, stage=stage, today=today)
    rank = stage_rank(SHIPPED, stage)
    last = step.on if step else today + timedelta(days=200)
    day = today + timedelta(days=1)
    while day < last:
        reached = reached_stage(SHIPPED, CUSTOMER, summary, day)
        assert reached == CURRENT or stage_rank(SHIPPED, reached) <= rank, day
        day += timedelta(days=1)
    if step is not None:
        assert stage_rank(SHIPPED, reached_stage(SHIPPED, CUSTOMER, summary, step.on)) > rank


def test_facts_take_the_as_of_in_the_policys_zone():
    late_evening_utc = datetime(2026, 12, 14, 16, 30, tzinfo=UTC)  # 00:30 on 12-15 in Shanghai
    facts = notice_facts(SHIPPED, CUSTOMER, "c", book(("INV-1", "2026-11-30", 1_250_000)), stage="final_notice",
                         kind=STAGE_NOTICE, as_of=late_evening_utc)
    assert facts.notice_date == date(2026, 12, 15) and facts.days_past_due == 15
