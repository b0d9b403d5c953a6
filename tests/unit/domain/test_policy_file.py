"""Reading the policy file: the shipped file is valid, and every mistake is reported at its line."""

from pathlib import Path

import pytest

from lib.domain.policy import CustomerOverride, FraudThresholds, Prevention
from lib.domain.policy_file import PolicyError, PolicyProblem, check_policy, load_policy, parse_policy
from lib.domain.policy_file_lines import LineLocator, split_dotted

SHIPPED = Path(__file__).resolve().parents[3] / "policy" / "collections.toml"
GUID = "3f2c1a9e-5b7d-4c8e-9a1f-2d3e4f5a6b7c"

# Line numbers matter in this file: the tests below name them.
GOOD = f"""\
timezone = "Asia/Shanghai"
minimum_overdue = 1000

[[stages]]
name = "reminder"
days_past_due = 1
actions = ["notify"]

[[stages]]
name = "suspension"
days_past_due = 30
min_overdue = 100000
actions = ["suspend"]

[customers."{GUID}"]
never_suspend = true
"""


def problems_of(text: str) -> list[tuple[int, str]]:
    return [(problem.line, problem.field) for problem in check_policy(text, "collections.toml")]


def test_the_shipped_policy_file_is_valid_and_follows_the_design():
    policy = load_policy(SHIPPED)
    assert policy.timezone == "Asia/Shanghai"
    assert [(s.name, s.days_past_due, s.actions) for s in policy.stages] == [
        ("reminder", 1, ("notify",)), ("final_notice", 15, ("notify",)), ("suspension", 30, ("suspend",))]
    assert (policy.stages[2].min_overdue, policy.stages[2].min_unpaid_invoices) == (100_000, 1)
    assert policy.fraud == FraudThresholds(3.0, 30, 5_000_000, 3, ("high",), ("high",))
    assert policy.prevention == Prevention(new_customer_budget=1_000_000, budget_alert_percent=80)


def test_the_shipped_policy_files_commented_override_examples_are_valid_too():
    text = SHIPPED.read_text(encoding="utf-8")
    uncommented = "\n".join(
        line.removeprefix("# ") if line.startswith(("# [customers.", "# grace_days", "# minimum_overdue", "# note",
                                                    "# never_suspend")) else line
        for line in text.splitlines()
    )
    policy = parse_policy(uncommented, "shipped")
    assert policy.override_for(GUID.upper()) == CustomerOverride(
        GUID, grace_days=10, minimum_overdue=50_000, note="Contract 2026-017: 10 extra days agreed by finance")
    assert len(policy.customers) == 2


def test_a_good_file_has_no_problems_and_parses_overrides_lower_cased():
    assert check_policy(GOOD, "collections.toml") == []
    policy = parse_policy(GOOD.replace(GUID, GUID.upper()), "collections.toml")
    assert policy.customers == {GUID: CustomerOverride(GUID, never_suspend=True)}


def test_a_toml_syntax_error_keeps_its_line():
    text = GOOD.replace('days_past_due = 30', 'days_past_due = = 30')
    assert check_policy(text, "f") == [PolicyProblem(11, "toml", "Invalid value")]


def test_an_unknown_time_zone_is_reported_on_its_line():
    [problem] = check_policy(GOOD.replace("Asia/Shanghai", "Asia/Beijing"), "f")
    assert (problem.line, problem.field) == (1, "timezone")
    assert "unknown time zone 'Asia/Beijing'" in problem.message


def test_stages_out_of_order_are_reported_at_the_later_stages_days():
    [problem] = check_policy(GOOD.replace("days_past_due = 30", "days_past_due = 0"), "f")
    assert (problem.line, problem.field) == (11, "stages[2].days_past_due")
    [problem] = check_policy(GOOD.replace("days_past_due = 1\n", "days_past_due = 45\n"), "f")
    assert (problem.line, problem.field) == (11, "stages[2].days_past_due")
    assert "stages must ascend" in problem.message


def test_a_duplicate_stage_name_is_reported_at_the_second_name():
    [problem] = check_policy(GOOD.replace('"suspension"', '"reminder"'), "f")
    assert (problem.line, problem.field, problem.message) == (10, "stages[2].name",
                                                                "duplicate stage name 'reminder'")


def test_a_stage_may_not_be_called_current():
    assert problems_of(GOOD.replace('"reminder"', '"current"')) == [(5, "stages[1].name")]


def test_an_unknown_action_is_reported_on_the_actions_line():
    [problem] = check_policy(GOOD.replace('["notify"]', '["notify", "email"]'), "f")
    assert (problem.line, problem.field) == (7, "stages[1].actions")
    assert "unknown value 'email'" in problem.message


def test_a_negative_amount_is_reported_on_its_line():
    assert problems_of(GOOD.replace("min_overdue = 100000", "min_overdue = -1")) == [(12, "stages[2].min_overdue")]
    assert problems_of(GOOD.replace("minimum_overdue = 1000", "minimum_overdue = -5")) == [(2, "minimum_overdue")]


def test_amounts_must_be_whole_minor_units():
    [problem] = check_policy(GOOD.replace("min_overdue = 100000", "min_overdue = 1000.00"), "f")
    assert (problem.line, problem.field) == (12, "stages[2].min_overdue")
    assert "whole number of minor units" in problem.message
    assert problems_of(GOOD.replace("days_past_due = 1\n", "days_past_due = true\n")) == [
        (6, "stages[1].days_past_due")]


def test_a_misspelt_key_is_an_error_with_a_suggestion():
    [problem] = check_policy(GOOD.replace("min_overdue = 100000", "min_overdu = 100000"), "f")
    assert (problem.line, problem.field) == (12, "stages[2].min_overdu")
    assert problem.message == "unknown key 'min_overdu' (did you mean 'min_overdue'?)"


def test_unknown_keys_and_sections_are_errors_everywhere():
    text = GOOD + "\n[fraud]\nusage_spike = 3\n\n[colections]\nx = 1\n"
    assert problems_of(text) == [(19, "fraud.usage_spike"), (21, "colections")]


def test_a_customer_key_that_is_not_a_guid_is_reported_at_its_table():
    [problem] = check_policy(GOOD.replace(GUID, "contoso"), "f")
    assert (problem.line, problem.field) == (15, "customers.contoso")
    assert "not a customer tenant id" in problem.message


def test_bad_override_values_are_reported_on_their_lines():
    text = GOOD.replace("never_suspend = true", 'never_suspend = "yes"\ngrace_days = -2\nnote = 5\nsuspend = false')
    assert problems_of(text) == [
        (16, f"customers.{GUID}.never_suspend"),
        (17, f"customers.{GUID}.grace_days"),
        (18, f"customers.{GUID}.note"),
        (19, f"customers.{GUID}.suspend"),
    ]


def test_a_customer_twice_in_different_case_is_an_error():
    text = GOOD + f'\n[customers."{GUID.upper()}"]\ngrace_days = 3\n'
    assert problems_of(text) == [(18, f"customers.{GUID.upper()}")]


def test_bad_hold_limits_are_reported_on_their_lines():
    text = GOOD + "\n[holds]\npromise_to_pay_max_days = 0\nexemption_max_days = 'forever'\n"
    assert problems_of(text) == [(19, "holds.promise_to_pay_max_days"), (20, "holds.exemption_max_days")]


def test_fraud_thresholds_are_checked_and_typed():
    text = GOOD + '\n[fraud]\nusage_spike_multiplier = 2.5\nsuspend_on = ["high", "critical"]\n'
    assert problems_of(text) == [(20, "fraud.suspend_on")]
    policy = parse_policy(text.replace(', "critical"', ""), "f")
    assert policy.fraud.usage_spike_multiplier == 2.5
    assert policy.fraud.suspend_on == ("high",)
    assert problems_of(GOOD + "\n[fraud]\nusage_spike_multiplier = 1\n") == [(19, "fraud.usage_spike_multiplier")]


def test_an_earlier_suspension_must_stay_in_later_stages():
    text = GOOD + '\n[[stages]]\nname = "escalation"\ndays_past_due = 60\nactions = ["service_request"]\n'
    [problem] = check_policy(text, "f")
    assert (problem.line, problem.field) == (21, "stages[3].actions")
    assert "would restore access" in problem.message


def test_missing_essentials_are_reported_at_the_top():
    assert problems_of("minimum_overdue = 1\n") == [(1, "timezone"), (1, "stages")]
    assert problems_of(GOOD.replace('actions = ["suspend"]\n', "")) == [(9, "stages[2].actions")]
    assert problems_of(GOOD.replace('actions = ["notify"]', "actions = []")) == [(7, "stages[1].actions")]


def test_every_problem_is_reported_in_line_order():
    text = GOOD.replace("Asia/Shanghai", "Mars/Olympus").replace("min_overdue = 100000", "min_overdue = -1")
    assert [line for line, _ in problems_of(text)] == [1, 12]


def test_parse_policy_raises_with_one_line_per_problem():
    text = GOOD.replace("Asia/Shanghai", "Mars/Olympus").replace("min_overdue = 100000", "min_overdue = -1")
    with pytest.raises(PolicyError) as raised:
        parse_policy(text, "policy/collections.toml")
    lines = str(raised.value).splitlines()
    assert lines[0].startswith("policy/collections.toml:1: timezone: unknown time zone 'Mars/Olympus'")
    assert lines[1] == "policy/collections.toml:12: stages[2].min_overdue: must be at least 0, got -1"


def test_load_policy_names_a_missing_file(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(PolicyError, match=r"nope\.toml: file: cannot read"):
        load_policy(missing)


def test_load_policy_reports_the_files_path_and_line(tmp_path):
    path = tmp_path / "collections.toml"
    path.write_text(GOOD.replace('"notify"', '"notfy"'), encoding="utf-8")
    with pytest.raises(PolicyError, match=rf"^{path}:7: stages\[1\]\.actions: unknown value 'notfy'"):
        load_policy(path)


def test_the_locator_finds_dotted_and_quoted_keys_and_falls_back_to_the_table():
    locator = LineLocator('a = 1\n[x."y.z"]\nb.c = 2\n[[s]]\n[[s]]\nd = """\ne = 1\n"""\nf = 3\n')
    assert locator.line_of(("x", "y.z")) == 2
    assert locator.line_of(("x", "y.z", "b", "c")) == 3
    assert locator.line_of(("s", 1, "d")) == 6
    assert locator.line_of(("s", 1, "e")) == 5  # inside a multi-line string, so not a key
    assert locator.line_of(("s", 1, "f")) == 9
    assert locator.line_of(("nothing",)) == 1
    assert split_dotted('customers."a.b".x') == ("customers", "a.b", "x")
