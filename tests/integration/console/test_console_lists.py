"""The lists behind the console's pages, from a real book in Azurite: the at-risk list and the demo's additions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from lib.app_context import get_context
from lib.domain.events import BillingEvent, DisputeOpened, InvoiceIssued
from lib.partner_center.sandbox.seed import demo_customer_id
from lib.services.console_at_risk import AtRiskQuery, InvalidListQuery, at_risk
from lib.services.console_demo import DemoProposal, seed_console_demo
from lib.services.demo_book import seed_demo_book
from lib.services.proposal_recording import TableProposals
from lib.store.companies import Company

NOW = datetime(2026, 12, 10, 4, 0, tzinfo=UTC)  # noon in Beijing


def no_names(ids):
    return {}


@pytest.fixture
def demo_book(app_env):
    context = get_context()
    seed_demo_book(context.ingestion(), today=NOW)
    return context


def test_the_list_holds_every_overdue_customer_with_the_policy_stage_and_suspension_date(demo_book):
    rows = {r.customer_id: r for r in at_risk(demo_book.accounts, demo_book.policy, NOW, AtRiskQuery(), no_names)}
    late = rows[demo_customer_id(8)]  # 40 days past due, ¥34,500.00
    assert (late.stage, late.days_past_due, late.overdue_amount) == ("suspension", 40, 3_450_000)
    assert late.suspension_on == date(2026, 12, 10)  # due now: the next scan suspends
    disputed = rows[demo_customer_id(10)]
    assert disputed.suspension_on is None and "open dispute" in disputed.withheld
    reminder = rows[demo_customer_id(4)]  # 5 days past due: suspension comes at 30 days
    assert reminder.stage == "reminder" and reminder.suspension_on == date(2026, 12, 10) + timedelta(days=25)
    small = rows[demo_customer_id(7)]  # ¥950.00, below the suspension stage's minimum: never by the calendar
    assert small.stage == "final_notice" and small.suspension_on is None
    assert demo_customer_id(0) not in rows  # paid up
    assert demo_customer_id(11) not in rows  # not yet due


def test_the_suspension_date_waits_for_the_notice_period(demo_book):
    """No suspension without notice: with no notice naming a date yet, the list shows the day the period allows
    after the next scan's notice; once the scan made that notice, the date it names."""
    period = demo_book.policy.notices.notice_days_before_suspension
    bound = demo_book.notice_outbox().suspension_not_before
    rows = {r.customer_id: r for r in at_risk(demo_book.accounts, demo_book.policy, NOW, AtRiskQuery(), no_names,
                                              bound)}
    late = rows[demo_customer_id(8)]
    assert period == 7 and late.suspension_on == date(2026, 12, 10) + timedelta(days=period)
    reminder = rows[demo_customer_id(4)]  # 25 days to the policy's date: longer than the period
    assert reminder.suspension_on == date(2026, 12, 10) + timedelta(days=25)
    demo_book.clock = lambda: NOW
    demo_book.delinquency_scan().run(NOW)  # makes the pre-suspension notice (recorded: NOTICES_MODE=record)
    again = {r.customer_id: r for r in at_risk(demo_book.accounts, demo_book.policy, NOW, AtRiskQuery(), no_names,
                                               bound)}
    named = [n for n in demo_book.notices.for_customer(demo_customer_id(8)) if n.suspension_date is not None]
    assert named and again[demo_customer_id(8)].suspension_on == max(n.suspension_date for n in named)


def test_the_list_filters_by_stage_and_sorts_by_overdue_or_days(demo_book):
    policy, accounts = demo_book.policy, demo_book.accounts
    only = at_risk(accounts, policy, NOW, AtRiskQuery.parse({"stage": "final_notice"}, policy), no_names)
    assert {r.stage for r in only} == {"final_notice"} and len(only) == 2
    by_amount = at_risk(accounts, policy, NOW, AtRiskQuery.parse({"sort": "overdue"}, policy), no_names)
    assert [r.overdue_amount for r in by_amount] == sorted((r.overdue_amount for r in by_amount), reverse=True)
    by_days = at_risk(accounts, policy, NOW, AtRiskQuery(), no_names)
    assert [r.days_past_due for r in by_days] == sorted((r.days_past_due for r in by_days), reverse=True)


def test_sorting_by_name_uses_the_company_names_and_puts_unknown_names_last(demo_book):
    first, second = demo_customer_id(9), demo_customer_id(8)
    names = {first: Company(first, "Alpha"), second: Company(second, "beta")}
    rows = at_risk(demo_book.accounts, demo_book.policy, NOW, AtRiskQuery(sort="name"), lambda ids: names)
    assert [r.customer_id for r in rows[:2]] == [first, second]
    assert rows[-1].name == ""


@pytest.mark.parametrize(("params", "field"), [({"stage": "overdue"}, "stage"), ({"sort": "amount"}, "sort")])
def test_an_unknown_stage_or_sort_is_refused_naming_the_field(app_env, params, field):
    with pytest.raises(InvalidListQuery, match=field) as refused:
        AtRiskQuery.parse(params, get_context().policy)
    assert refused.value.field == field


def test_a_dispute_withholds_and_a_hold_moves_the_suspension_date(app_env):
    context = get_context()
    customer = "0f9b3a4e-8c1d-4b2a-9e7f-1a2b3c4d5e6f"
    due = NOW - timedelta(days=10)
    context.ingestion().ingest(BillingEvent("t", "i1", "invoice.issued", due, customer,
                                            InvoiceIssued("INV-1", 500_000, "CNY", due - timedelta(days=30), due)))
    from lib.domain.policy import Hold

    context.accounts.set_hold(customer, Hold("promise_to_pay", date(2026, 12, 31)), actor="test")
    row = at_risk(context.accounts, context.policy, NOW, AtRiskQuery(), no_names)[0]
    assert row.suspension_on == date(2027, 1, 1)  # the day after the promise runs out
    context.ingestion().ingest(BillingEvent("t", "d1", "dispute.opened", NOW, customer,
                                            DisputeOpened("D-1", "P-1", 500_000, "CNY", NOW)))
    row = at_risk(context.accounts, context.policy, NOW, AtRiskQuery(), no_names)[0]
    assert row.suspension_on is None and "dispute" in row.withheld


def test_the_demo_adds_unmatched_transfers_and_a_case_once(app_env):
    context = get_context()
    assert seed_console_demo(context.ingestion(), context.unmatched, context.cases, today=NOW) == 3
    assert {e.event_id for e in context.unmatched.list()} == {"demo-transfer-1", "demo-transfer-2"}
    context.desk_actions().assign_unmatched("bank", "demo-transfer-1", demo_customer_id(6), actor="test")
    assert seed_console_demo(context.ingestion(), context.unmatched, context.cases, today=NOW) == 0
    assert {e.event_id for e in context.unmatched.list()} == {"demo-transfer-2"}
    assert len(context.cases.for_customer(demo_customer_id(0))) == 1


def test_the_demo_proposes_the_customer_furthest_past_due_once_even_after_a_decision(demo_book):
    context = demo_book
    demo = DemoProposal(context.policy, context.ledger, context.proposals,
                        TableProposals(context.proposals, context.actions))
    assert seed_console_demo(context.ingestion(), context.unmatched, context.cases, today=NOW, proposal=demo) == 4
    [proposal] = context.proposal_desk().listed("open")
    assert proposal.customer_id == demo_customer_id(8) and proposal.facts["days_past_due"] == 40
    assert proposal.facts["overdue_amount"] == 3_450_000 and proposal.facts["stage"] == "suspension"
    context.proposal_desk().reject(proposal.customer_id, proposal.proposal_id, actor="test", note="demo")
    assert seed_console_demo(context.ingestion(), context.unmatched, context.cases, today=NOW, proposal=demo) == 0
    assert context.proposal_desk().listed("open") == []
