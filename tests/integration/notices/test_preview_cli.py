"""`csp-guard notices preview`: the notice a customer would get, rendered from its book, sent nowhere."""

import pytest

from lib.app_context import get_context
from lib.cli import main
from tests.integration.notices.notice_world import ZH_PROFILE, customer_with_invoice

pytestmark = pytest.mark.integration


def test_the_preview_prints_the_notice_in_the_language_asked_and_stores_nothing(app_env, pc_sandbox, capsys):
    customer = customer_with_invoice(pc_sandbox, ZH_PROFILE)
    assert main(["notices", "preview", customer, "--stage", "final_notice", "--lang", "en",
                 "--as-of", "2026-12-15"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Subject: Final notice: ¥12,500.00 overdue, access suspended on 30 December 2026")
    assert "Language: en" in out and "INV-2026-11-0042, due 30 November 2026" in out
    assert get_context().notices.for_customer(customer) == []


def test_the_preview_defaults_to_the_customers_language(app_env, pc_sandbox, capsys):
    customer = customer_with_invoice(pc_sandbox, ZH_PROFILE)
    assert main(["notices", "preview", customer, "--stage", "reminder", "--as-of", "2026-12-01"]) == 0
    assert "Language: zh-CN" in capsys.readouterr().out


def test_an_unknown_stage_is_one_line_naming_it(app_env, pc_sandbox, capsys):
    customer = customer_with_invoice(pc_sandbox, ZH_PROFILE)
    assert main(["notices", "preview", customer, "--stage", "dunning"]) == 1
    assert "no stage 'dunning'" in capsys.readouterr().err
