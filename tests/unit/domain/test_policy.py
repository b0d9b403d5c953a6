"""Evaluating accounts against the collections policy: stages, day boundaries, conditions, holds, disputes."""

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lib.domain.policy import (
    AccountState,
    Hold,
    NaiveDatetimeError,
    UnknownStageError,
    Withheld,
    evaluate,
    is_suspend_stage,
    stage_rank,
)
from lib.domain.policy_file import parse_policy
from lib.domain.summary import LedgerSummary, OpenInvoice

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")
CUSTOMER = "3f2c1a9e-5b7d-4c8e-9a1f-2d3e4f5a6b7c"

DESIGN_POLICY = """
timezone = "Asia/Shanghai"
minimum_overdue = 1000

[[stages]]
name = "reminder"
days_past_due = 1
actions = ["notify"]

[[stages]]
name = "final_notice"
days_past_due = 15
actions = ["notify"]

[[stages]]
name = "suspension"
days_past_due = 30
min_overdue = 100000
min_unpaid_invoices = 1
actions = ["suspend"]
"""
POLICY = parse_policy(DESIGN_POLICY, "design")
DUE = datetime(2026, 11, 30, 23, 59, 59, tzinfo=SHANGHAI)  # the design's example invoice


def invoice(due: datetime = DUE, remaining: int = 1_250_000, invoice_id: str = "INV-2026-11-0042") -> OpenInvoice:
    return OpenInvoice(due_at=due, invoice_id=invoice_id, remaining=remaining)


def account(*invoices: OpenInvoice, disputes: int = 0, hold: Hold | None = None, previous: str | None = None,
            customer: str = CUSTOMER) -> AccountState:
    summary = LedgerSummary(currency="CNY", balance=sum(i.remaining for i in invoices),
                            open_invoices=tuple(sorted(invoices)), open_disputes=disputes)
    return AccountState(customer_id=customer, summary=summary, hold=hold, previous_stage=previous)


def local(day: date, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=SHANGHAI)


def with_text(extra: str) -> str:
    return DESIGN_POLICY + extra


@pytest.mark.parametrize(
    ("as_of_day", "stage", "days"),
    [
        (date(2026, 11, 30), "current", 0),
        (date(2026, 12, 1), "reminder", 1),
        (date(2026, 12, 14), "reminder", 14),
        (date(2026, 12, 15), "final_notice", 15),
        (date(2026, 12, 29), "final_notice", 29),
        (date(2026, 12, 30), "suspension", 30),
        (date(2027, 2, 1), "suspension", 63),
    ],
)
def test_the_designs_invoice_due_30_november_moves_through_the_stages(as_of_day, stage, days):
    decision = evaluate(POLICY, account(invoice()), local(as_of_day, 9))
    assert (decision.stage, decision.days_past_due) == (stage, days)


@pytest.mark.parametrize("stage", POLICY.stages, ids=lambda stage: stage.name)
def test_each_stage_starts_exactly_at_local_midnight_of_its_configured_day(stage):
    first_day = DUE.date() + timedelta(days=stage.days_past_due)
    at_midnight = evaluate(POLICY, account(invoice()), local(first_day))
    a_second_before = evaluate(POLICY, account(invoice()), local(first_day) - timedelta(seconds=1))
    assert at_midnight.stage == stage.name
    assert a_second_before.stage != stage.name
    assert stage_rank(POLICY, a_second_before.stage) == stage_rank(POLICY, stage.name) - 1


def test_an_invoice_due_2359_shanghai_is_not_overdue_at_0030_utc_the_same_day():
    due = datetime(2026, 11, 30, 23, 59, tzinfo=SHANGHAI)
    decision = evaluate(POLICY, account(invoice(due)), datetime(2026, 11, 30, 0, 30, tzinfo=UTC))
    assert (decision.stage, decision.days_past_due, decision.overdue_amount) == ("current", 0, 0)


def test_an_invoice_due_2359_shanghai_is_overdue_at_1600_utc_the_same_day():
    due = datetime(2026, 11, 30, 23, 59, tzinfo=SHANGHAI)
    just_before = evaluate(POLICY, account(invoice(due)), datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC))
    midnight_in_shanghai = evaluate(POLICY, account(invoice(due)), datetime(2026, 11, 30, 16, 0, tzinfo=UTC))
    assert just_before.stage == "current"
    assert (midnight_in_shanghai.stage, midnight_in_shanghai.days_past_due) == ("reminder", 1)


def test_the_same_instant_in_any_offset_gives_the_same_decision():
    instant = datetime(2026, 12, 30, 3, 0, tzinfo=SHANGHAI)
    in_utc = evaluate(POLICY, account(invoice()), instant.astimezone(UTC))
    in_new_york = evaluate(POLICY, account(invoice()), instant.astimezone(ZoneInfo("America/New_York")))
    assert in_utc == in_new_york == evaluate(POLICY, account(invoice()), instant)


def test_a_naive_as_of_is_refused():
    with pytest.raises(NaiveDatetimeError, match="must carry a time zone"):
        evaluate(POLICY, account(invoice()), datetime(2026, 12, 30, 9, 0))


def test_suspension_needs_its_minimum_overdue_amount():
    as_of = local(date(2027, 1, 10), 9)
    below = evaluate(POLICY, account(invoice(remaining=99_999)), as_of)
    at_threshold = evaluate(POLICY, account(invoice(remaining=100_000)), as_of)
    assert (below.stage, below.actions) == ("final_notice", ("notify",))
    assert (at_threshold.stage, at_threshold.actions) == ("suspension", ("suspend",))


def test_suspension_needs_its_minimum_number_of_unpaid_invoices():
    policy = parse_policy(DESIGN_POLICY.replace("min_unpaid_invoices = 1", "min_unpaid_invoices = 2"), "t")
    as_of = local(date(2027, 1, 10), 9)
    one = account(invoice())
    two = account(invoice(), invoice(DUE + timedelta(days=5), 500, "INV-2"))
    not_yet_due = account(invoice(), invoice(DUE + timedelta(days=60), 500, "INV-3"))
    assert evaluate(policy, one, as_of).stage == "final_notice"
    assert evaluate(policy, two, as_of).stage == "suspension"
    assert evaluate(policy, not_yet_due, as_of).stage == "final_notice"  # only overdue invoices count


def test_an_overdue_amount_below_the_minimum_is_current():
    decision = evaluate(POLICY, account(invoice(remaining=999)), local(date(2027, 3, 1), 9))
    assert (decision.stage, decision.actions, decision.withheld) == ("current", (), ())
    assert decision.overdue_amount == 999
    assert "below the minimum of 10.00 CNY" in decision.reason


def test_days_past_due_count_from_the_oldest_overdue_invoice():
    older = invoice(DUE - timedelta(days=20), 1_000, "INV-OLD")
    decision = evaluate(POLICY, account(invoice(), older), local(date(2026, 12, 10), 9))
    assert (decision.days_past_due, decision.unpaid_invoices, decision.overdue_amount) == (30, 2, 1_251_000)
    assert decision.stage == "suspension"


def test_grace_days_delay_every_stage():
    policy = parse_policy(DESIGN_POLICY.replace("minimum_overdue = 1000", "minimum_overdue = 1000\ngrace_days = 3"),
                          "t")
    assert evaluate(policy, account(invoice()), local(date(2026, 12, 3), 9)).stage == "current"
    assert evaluate(policy, account(invoice()), local(date(2026, 12, 4), 9)).stage == "reminder"
    assert evaluate(policy, account(invoice()), local(date(2027, 1, 2), 9)).stage == "suspension"


def test_a_customer_override_changes_grace_and_minimum_for_that_customer_only():
    policy = parse_policy(with_text(f"""
[customers."{CUSTOMER.upper()}"]
grace_days = 10
minimum_overdue = 2000000
"""), "t")
    as_of = local(date(2026, 12, 5), 9)
    assert evaluate(policy, account(invoice(remaining=3_000_000)), as_of).stage == "current"  # grace
    assert evaluate(policy, account(invoice()), local(date(2027, 1, 20), 9)).stage == "current"  # minimum
    other = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    assert evaluate(policy, account(invoice(), customer=other), as_of).stage == "reminder"


def test_never_suspend_withholds_suspension_but_not_the_stage():
    policy = parse_policy(with_text(f"""
[customers."{CUSTOMER}"]
never_suspend = true
note = "hospital"
"""), "t")
    decision = evaluate(policy, account(invoice()), local(date(2027, 1, 5), 9))
    assert (decision.stage, decision.actions) == ("suspension", ())
    assert decision.withheld == (Withheld("suspend", "customer override never_suspend (hospital)"),)
    assert is_suspend_stage(decision)


def test_an_open_dispute_withholds_suspension():
    decision = evaluate(POLICY, account(invoice(), disputes=1), local(date(2027, 1, 5), 9))
    assert (decision.stage, decision.actions) == ("suspension", ())
    assert [w.action for w in decision.withheld] == ["suspend"]
    assert "open dispute" in decision.withheld[0].why


def test_an_open_dispute_does_not_withhold_reminders():
    decision = evaluate(POLICY, account(invoice(), disputes=1), local(date(2026, 12, 2), 9))
    assert (decision.stage, decision.actions, decision.withheld) == ("reminder", ("notify",), ())


def test_a_promise_to_pay_withholds_suspension_up_to_and_including_its_date():
    hold = Hold("promise_to_pay", date(2027, 1, 5), "will pay by wire")
    state = account(invoice(), hold=hold, previous="suspension")
    on_the_date = evaluate(POLICY, state, local(date(2027, 1, 5), 23, 59, 59))
    the_day_after = evaluate(POLICY, state, local(date(2027, 1, 6)))
    assert (on_the_date.stage, on_the_date.actions) == ("suspension", ())
    assert on_the_date.withheld == (Withheld("suspend", "promise to pay until 2027-01-05"),)
    assert is_suspend_stage(on_the_date)  # withheld is not a reason to restore
    assert (the_day_after.actions, the_day_after.withheld) == (("suspend",), ())


def test_a_promise_to_pay_freezes_the_stage_it_was_given_at():
    hold = Hold("promise_to_pay", date(2027, 1, 5))
    frozen = evaluate(POLICY, account(invoice(), hold=hold, previous="final_notice"), local(date(2027, 1, 2), 9))
    after = evaluate(POLICY, account(invoice(), hold=hold, previous="final_notice"), local(date(2027, 1, 6)))
    assert (frozen.stage, frozen.actions, frozen.days_past_due) == ("final_notice", ("notify",), 33)
    assert "would be suspension" in frozen.reason
    assert after.stage == "suspension"  # not reset: the days kept counting from the original due date


def test_a_hold_lets_the_stage_fall_when_the_customer_pays():
    hold = Hold("promise_to_pay", date(2027, 1, 5))
    paid_down = account(invoice(remaining=50_000), hold=hold, previous="suspension")
    decision = evaluate(POLICY, paid_down, local(date(2027, 1, 2), 9))
    assert decision.stage == "final_notice"
    assert not is_suspend_stage(decision)


def test_an_exemption_withholds_every_action_up_to_and_including_its_date():
    hold = Hold("exemption", date(2026, 12, 20), "audit")
    on_the_date = evaluate(POLICY, account(invoice(), hold=hold, previous="reminder"), local(date(2026, 12, 20), 23))
    the_day_after = evaluate(POLICY, account(invoice(), hold=hold, previous="reminder"), local(date(2026, 12, 21)))
    assert (on_the_date.stage, on_the_date.actions) == ("reminder", ())
    assert on_the_date.withheld == (Withheld("notify", "exemption until 2026-12-20"),)
    assert (the_day_after.stage, the_day_after.actions) == ("final_notice", ("notify",))


def test_a_hold_ends_at_local_midnight_not_utc_midnight():
    hold = Hold("promise_to_pay", date(2026, 12, 31))
    state = account(invoice(), hold=hold, previous="suspension")
    assert evaluate(POLICY, state, datetime(2026, 12, 31, 15, 59, tzinfo=UTC)).actions == ()
    assert evaluate(POLICY, state, datetime(2026, 12, 31, 16, 0, tzinfo=UTC)).actions == ("suspend",)


def test_a_hold_on_a_never_evaluated_account_keeps_it_current():
    hold = Hold("promise_to_pay", date(2027, 1, 5))
    decision = evaluate(POLICY, account(invoice(), hold=hold), local(date(2027, 1, 2), 9))
    assert (decision.stage, decision.actions) == ("current", ())


def test_a_previous_stage_the_policy_no_longer_has_does_not_freeze_but_still_withholds():
    hold = Hold("promise_to_pay", date(2027, 1, 5))
    decision = evaluate(POLICY, account(invoice(), hold=hold, previous="renamed"), local(date(2027, 1, 2), 9))
    assert (decision.stage, decision.actions) == ("suspension", ())


def test_every_reason_for_withholding_is_given():
    hold = Hold("promise_to_pay", date(2027, 1, 5))
    decision = evaluate(POLICY, account(invoice(), disputes=2, hold=hold, previous="suspension"),
                        local(date(2027, 1, 4), 9))
    assert decision.withheld == (Withheld("suspend", "promise to pay until 2027-01-05, 2 open dispute(s)"),)


def test_the_reason_reads_as_a_sentence():
    hold = Hold("promise_to_pay", date(2027, 1, 15))
    second = invoice(DUE + timedelta(days=1), 1_000, "INV-2")
    decision = evaluate(POLICY, account(invoice(remaining=124_000), second, hold=hold, previous="suspension"),
                        local(date(2027, 1, 11), 9))
    assert decision.reason == (
        "42 days past due on 2 invoices (1,250.00 CNY overdue); stage suspension; "
        "suspend withheld: promise to pay until 2027-01-15"
    )


def test_a_customer_with_nothing_overdue_says_so():
    decision = evaluate(POLICY, account(), local(date(2027, 1, 11), 9))
    assert decision.reason == "nothing overdue; stage current"


def test_stage_rank_orders_current_before_every_stage():
    assert [stage_rank(POLICY, n) for n in ("current", "reminder", "final_notice", "suspension")] == [0, 1, 2, 3]
    with pytest.raises(UnknownStageError, match="no stage 'dunning'"):
        stage_rank(POLICY, "dunning")


def test_a_service_request_stage_is_not_a_suspend_stage():
    policy = replace(POLICY, stages=(replace(POLICY.stages[0], actions=("notify", "service_request")),))
    decision = evaluate(policy, account(invoice()), local(date(2026, 12, 2), 9))
    assert decision.actions == ("notify", "service_request")
    assert not is_suspend_stage(decision)
