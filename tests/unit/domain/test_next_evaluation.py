"""The next evaluation date: nothing the calendar changes may fall before it, and it is a real change point."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from lib.domain.next_evaluation import AccountFacts, acts_on, first_evaluation, next_evaluation
from lib.domain.policy import AccountState, CollectionsPolicy, Hold, Stage, evaluate
from lib.domain.policy_file import parse_policy
from lib.domain.summary import LedgerSummary, OpenInvoice
from tests.unit.domain.test_policy import DESIGN_POLICY

SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = parse_policy(DESIGN_POLICY, "design")
TODAY = date(2026, 12, 1)


def invoice(due: date, amount: int = 500_000, name: str = "INV-1") -> OpenInvoice:
    return OpenInvoice(datetime.combine(due, time(23, 59, 59), tzinfo=SHANGHAI), name, amount)


def facts(*invoices: OpenInvoice, hold: Hold | None = None, stage: str | None = None,
          suspended: bool = False) -> AccountFacts:
    summary = LedgerSummary(currency="CNY", balance=sum(i.remaining for i in invoices),
                            open_invoices=tuple(sorted(invoices)))
    return AccountFacts("c", summary, hold, stage, suspended)


def test_nothing_owed_means_no_date():
    assert next_evaluation(POLICY, facts(), TODAY) is None


def test_an_open_invoice_is_next_looked_at_the_day_after_its_local_due_date():
    assert next_evaluation(POLICY, facts(invoice(date(2026, 12, 10))), TODAY) == date(2026, 12, 11)


def test_an_overdue_account_already_in_its_stage_waits_for_the_next_threshold():
    account = facts(invoice(date(2026, 11, 20)), stage="reminder")
    # reminder since 11-21; final_notice at 15 days past due
    assert next_evaluation(POLICY, account, TODAY) == date(2026, 12, 5)


def test_a_stage_change_due_today_is_today():
    assert next_evaluation(POLICY, facts(invoice(date(2026, 11, 20))), TODAY) == TODAY


def test_a_promise_to_pay_defers_suspension_to_the_day_after_it_ends():
    account = facts(invoice(date(2026, 10, 1)), stage="final_notice",
                    hold=Hold("promise_to_pay", date(2026, 12, 20)))
    assert next_evaluation(POLICY, account, TODAY) == date(2026, 12, 21)


def test_a_fully_suspended_account_has_nothing_left_to_change_by_the_calendar():
    account = facts(invoice(date(2026, 9, 1)), stage="suspension", suspended=True)
    assert next_evaluation(POLICY, account, TODAY) is None


def test_a_notice_period_end_is_a_date_to_look_again():
    account = facts(invoice(date(2026, 10, 1)), stage="suspension", suspended=True)
    assert next_evaluation(POLICY, account, TODAY, notice_period_end=date(2026, 12, 8)) is None  # nothing changes
    waiting = facts(invoice(date(2026, 11, 25)), stage="reminder")
    assert next_evaluation(POLICY, waiting, TODAY, notice_period_end=date(2026, 12, 3)) == date(2026, 12, 10)


def test_after_an_event_the_first_date_may_lie_before_today():
    # The index says "final_notice" (a later invoice was paid): a scan on any date from the due date on moves it.
    account = facts(invoice(date(2026, 11, 20)), stage="final_notice")
    assert first_evaluation(POLICY, account, TODAY) == date(2026, 11, 20)
    assert next_evaluation(POLICY, account, TODAY) == TODAY
    assert first_evaluation(POLICY, facts(invoice(date(2026, 12, 10))), TODAY) == date(2026, 12, 11)


def policies() -> st.SearchStrategy[CollectionsPolicy]:
    def build(thresholds: list[int], minimum: int, grace: int, last_min: int) -> CollectionsPolicy:
        days = sorted(set(thresholds))
        stages = [Stage(f"s{i}", d, actions=("notify",)) for i, d in enumerate(days)]
        stages[-1] = Stage(stages[-1].name, stages[-1].days_past_due, min_overdue=last_min, actions=("suspend",))
        return CollectionsPolicy(timezone="Asia/Shanghai", stages=tuple(stages), minimum_overdue=minimum,
                                 grace_days=grace)

    return st.builds(build, st.lists(st.integers(1, 40), min_size=1, max_size=3), st.integers(0, 3000),
                     st.integers(0, 3), st.sampled_from([0, 300_000]))


@st.composite
def accounts(draw: st.DrawFn, policy: CollectionsPolicy) -> AccountFacts:
    dues = draw(st.lists(st.integers(-50, 40), max_size=4))
    amounts = draw(st.lists(st.integers(1, 600_000), min_size=len(dues), max_size=len(dues)))
    items = [invoice(TODAY + timedelta(days=d), a, f"INV-{i}")
             for i, (d, a) in enumerate(zip(dues, amounts, strict=True))]
    hold = draw(st.none() | st.builds(Hold, st.sampled_from(["exemption", "promise_to_pay"]),
                                      st.integers(-5, 30).map(lambda d: TODAY + timedelta(days=d))))
    stage = draw(st.sampled_from([None, "current", *(s.name for s in policy.stages)]))
    summary = LedgerSummary(currency="CNY", balance=sum(i.remaining for i in items),
                            open_invoices=tuple(sorted(items)), open_disputes=draw(st.integers(0, 1)))
    return AccountFacts("c", summary, hold, stage, draw(st.booleans()))


@st.composite
def books(draw: st.DrawFn) -> tuple[CollectionsPolicy, AccountFacts, date | None]:
    policy = draw(policies())
    notice = draw(st.none() | st.integers(1, 30).map(lambda d: TODAY + timedelta(days=d)))
    return policy, draw(accounts(policy)), notice


def stage_on(policy: CollectionsPolicy, account: AccountFacts, day: date) -> str:
    as_of = datetime.combine(day, time(9), tzinfo=SHANGHAI)
    state = AccountState(account.customer_id, account.summary, account.hold, account.stage)
    return evaluate(policy, state, as_of).stage


@settings(max_examples=300, deadline=None)
@given(books())
def test_no_day_before_the_next_date_would_change_anything_and_the_date_itself_would(book):
    policy, account, notice = book
    found = next_evaluation(policy, account, TODAY, notice_period_end=notice)
    horizon = found or TODAY + timedelta(days=130)  # past every due date, threshold and hold drawn
    for offset in range(1, (horizon - TODAY).days):
        day = TODAY + timedelta(days=offset)
        assert stage_on(policy, account, day) == stage_on(policy, account, TODAY), day
        assert not acts_on(policy, account, day), day
    if found is None:
        assert not acts_on(policy, account, horizon)
    else:
        assert acts_on(policy, account, found)
        if found > TODAY:
            assert not acts_on(policy, account, TODAY)


@settings(max_examples=200, deadline=None)
@given(books())
def test_the_first_date_after_an_event_is_never_later_than_the_next_one(book):
    policy, account, notice = book
    first = first_evaluation(policy, account, TODAY, notice_period_end=notice)
    following = next_evaluation(policy, account, TODAY, notice_period_end=notice)
    if following is None:
        assert first is None or first <= TODAY
    else:
        assert first is not None and first <= following
        assert acts_on(policy, account, first)
