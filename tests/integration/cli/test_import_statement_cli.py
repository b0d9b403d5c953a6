"""`csp-guard import-statement`, run as a partner's finance staff run it, against Azurite."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lib.app_context import get_context
from lib.services.payers import parse_payers
from tests.support.bank_statements import icbc_row, icbc_xlsx
from tests.support.billing_events import new_customer

pytestmark = pytest.mark.integration
CLI = str(Path(sys.executable).with_name("csp-guard"))
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bank"


def run(*args, env):
    return subprocess.run([CLI, "import-statement", *args], env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=120, check=False)


def test_a_cmb_statement_is_imported_once_and_summarised(app_env):
    customer = new_customer()
    get_context().payers.register(customer, parse_payers({"accounts": ["755900001110201"]}), actor="ops")
    first = run(str(FIXTURES / "cmb.csv"), "--format", "cmb", env=app_env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == ("rows: 4  matched: 1  unmatched: 2  already imported: 0  debits skipped: 1  "
                                    "bad rows skipped: 0  failed: 0")
    again = run(str(FIXTURES / "cmb.csv"), "--format", "cmb", env=app_env)
    assert "matched: 0  unmatched: 0  already imported: 3" in again.stdout
    assert get_context().accounts.get(customer).summary.unapplied_credit == 12_500_000


def test_an_icbc_workbook_with_bad_rows_is_refused_naming_each_line_then_imported_with_skip_bad(app_env, tmp_path):
    customer = new_customer()
    get_context().payers.register(customer, parse_payers({"names": ["Contoso 有限公司"]}), actor="ops")
    workbook = tmp_path / "icbc.xlsx"
    workbook.write_bytes(icbc_xlsx([
        icbc_row("2026-11-20 10:00:00", "I-1", credit=100.5, name="CONTOSO Co., Ltd."),
        icbc_row("2026-11-20 10:00:00", "I-2", credit=1.005, name="Contoso"),
        icbc_row("2026-11-31", "I-3", credit=3, name="Contoso"),
    ]))
    refused = run(str(workbook), "--format", "icbc", env=app_env)
    assert refused.returncode == 1
    assert f"{workbook}:line 4: 贷方发生额" in refused.stderr and f"{workbook}:line 5: 交易时间" in refused.stderr
    assert "nothing imported" in refused.stderr
    assert get_context().accounts.get(customer) is None
    skipped = run(str(workbook), "--format", "icbc", "--skip-bad", env=app_env)
    assert skipped.returncode == 0 and "matched: 1" in skipped.stdout and "bad rows skipped: 2" in skipped.stdout
    assert get_context().accounts.get(customer).summary.unapplied_credit == 10_050


def test_a_missing_file_or_a_bad_pattern_is_one_line_and_a_failing_status(app_env, tmp_path):
    missing = run(str(tmp_path / "none.csv"), env=app_env)
    assert missing.returncode == 1 and missing.stderr.startswith("csp-guard: cannot read")
    pattern = run(str(FIXTURES / "generic.csv"), "--invoice-pattern", "(", env=app_env)
    assert pattern.returncode == 2 and "--invoice-pattern" in pattern.stderr
