"""The cap of a fanned-out scan on Azurite: every message the run sent takes from one budget row."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from lib.app_context import get_context
from lib.store.run_budgets import SharedSuspensionBudget

pytestmark = pytest.mark.integration


def test_racing_workers_never_take_more_than_the_cap_and_one_of_them_announces_it(app_env):
    runs = get_context().tables.table("runs")
    budgets = [SharedSuspensionBudget(runs, "run-1", 5) for _ in range(8)]

    def take_three(budget):
        return [budget.take() for _ in range(3)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(take_three, budgets))
    taken = [granted for granted_here in results for granted in granted_here]
    assert taken.count(True) == 5 and taken.count(False) == 19
    assert sum(b.announces for b in budgets) == 1
    assert [b.exhausted for b in budgets] == [False in granted_here for granted_here in results]
    row = runs.get("budget", "run-1")
    assert (row.integer("used"), row.integer("refused")) == (5, 19)


def test_another_runs_budget_is_its_own(app_env):
    runs = get_context().tables.table("runs")
    first, second = SharedSuspensionBudget(runs, "run-a", 1), SharedSuspensionBudget(runs, "run-b", 1)
    assert first.take() and not first.take() and first.exhausted and first.announces
    assert second.take() and not second.exhausted
