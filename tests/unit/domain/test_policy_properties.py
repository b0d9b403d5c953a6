"""Properties of `evaluate` that must hold for any ledger summary and any moment."""

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from lib.domain.policy import AccountState, Hold, evaluate, is_suspend_stage, stage_rank
from lib.domain.policy_file import parse_policy
from lib.domain.summary import LedgerSummary, OpenInvoice
from tests.unit.domain.test_policy import DESIGN_POLICY

POLICY = parse_policy(DESIGN_POLICY, "design")
START = datetime(2026, 1, 1, tzinfo=UTC)

offsets = st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5)),
                           timezone(timedelta(hours=14))])
moments = st.builds(
    lambda seconds, tz: (START + timedelta(seconds=seconds)).astimezone(tz),
    st.integers(0, 400 * 86_400), offsets,
)
invoices = st.builds(
    OpenInvoice,
    due_at=moments,
    invoice_id=st.text("ABC0123456789-", min_size=1, max_size=8),
    remaining=st.integers(1, 50_000_000),
)
summaries = st.builds(
    lambda items, disputes: LedgerSummary(currency="CNY", balance=sum(i.remaining for i in items),
                                          open_invoices=tuple(sorted(items)), open_disputes=disputes),
    st.lists(invoices, max_size=6),
    st.integers(0, 1),
)
stage_names = st.sampled_from(["current", *(stage.name for stage in POLICY.stages)])
holds = st.builds(Hold, kind=st.sampled_from(["exemption", "promise_to_pay"]),
                  until=st.dates(date(2026, 1, 1), date(2027, 3, 1)))


@given(
    balance=st.integers(-10_000_000, 0),
    credit=st.integers(0, 10_000_000),
    as_of=moments,
    hold=st.none() | holds,
    previous=st.none() | stage_names,
)
def test_a_fully_paid_customer_is_always_current(balance, credit, as_of, hold, previous):
    paid = LedgerSummary(currency="CNY", balance=balance, unapplied_credit=credit)
    decision = evaluate(POLICY, AccountState("c", paid, hold, previous), as_of)
    assert (decision.stage, decision.actions, decision.withheld) == ("current", (), ())
    assert not is_suspend_stage(decision)


@given(summary=summaries, steps=st.lists(st.integers(0, 20 * 86_400), min_size=2, max_size=12), start=moments)
def test_the_stage_never_goes_backwards_as_time_passes_without_payment(summary, steps, start):
    as_of, ranks = start, []
    for step in steps:
        as_of += timedelta(seconds=step)
        ranks.append(stage_rank(POLICY, evaluate(POLICY, AccountState("c", summary), as_of).stage))
    assert ranks == sorted(ranks)


@given(summary=summaries, steps=st.lists(st.integers(0, 20 * 86_400), min_size=2, max_size=12), start=moments,
       hold=holds)
def test_a_hold_freezes_the_stage_and_it_never_goes_backwards_either(summary, steps, start, hold):
    as_of, previous, ranks = start, None, []
    for step in steps:
        as_of += timedelta(seconds=step)
        previous = evaluate(POLICY, AccountState("c", summary, hold, previous), as_of).stage
        ranks.append(stage_rank(POLICY, previous))
    assert ranks == sorted(ranks)


@given(summary=summaries, as_of=moments, hold=st.none() | holds, previous=st.none() | stage_names)
def test_suspension_is_never_taken_while_a_dispute_or_hold_applies(summary, as_of, hold, previous):
    decision = evaluate(POLICY, AccountState("c", summary, hold, previous), as_of)
    today = as_of.astimezone(POLICY.zone).date()
    if summary.open_disputes or (hold is not None and today <= hold.until):
        assert "suspend" not in decision.actions
    if hold is not None and hold.kind == "exemption" and today <= hold.until:
        assert decision.actions == ()


@given(summary=summaries, as_of=moments)
def test_withheld_and_taken_actions_together_are_the_stages_actions(summary, as_of):
    decision = evaluate(POLICY, AccountState("c", summary), as_of)
    planned = () if decision.stage == "current" else POLICY.stage(decision.stage).actions
    assert sorted(decision.actions + tuple(w.action for w in decision.withheld)) == sorted(planned)
