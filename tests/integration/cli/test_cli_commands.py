"""The `csp-guard` command's words, run as a user runs them, against Azurite."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lib.store.accounts import Accounts
from tests.support.billing_events import new_customer

pytestmark = pytest.mark.integration
CLI = str(Path(sys.executable).with_name("csp-guard"))
POLICY = Path(__file__).resolve().parents[3] / "policy" / "collections.toml"


def run(*args, env=None):
    import os

    return subprocess.run([CLI, *args], env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=120, check=False)


def write_csv(path, rows, bom=True):
    text = "customer_id,payment_id,amount,currency,paid_at,invoice_id\n" + "".join(f"{r}\n" for r in rows)
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def test_import_payments_records_each_payment_once_even_when_run_twice(tables, storage_env, tmp_path):
    customer = new_customer()
    csv_file = write_csv(tmp_path / "bank.csv", [
        f"{customer},BANK-1,100000,CNY,2026-11-20T10:00:00+08:00,INV-1",
        f"{customer},BANK-2,50000,CNY,2026-11-21T10:00:00+08:00,",
    ])
    first = run("import-payments", str(csv_file), env=storage_env)
    assert first.returncode == 0, first.stderr
    assert "recorded: 2" in first.stdout
    second = run("import-payments", str(csv_file), env=storage_env)
    assert "recorded: 0" in second.stdout and "already imported: 2" in second.stdout
    assert Accounts(tables.table("accounts")).get(customer).summary.balance == -150000


def test_import_payments_reports_every_bad_row_and_imports_nothing(tables, storage_env, tmp_path):
    customer = new_customer()
    csv_file = write_csv(tmp_path / "bank.csv", [
        f"{customer},BANK-1,100000,CNY,2026-11-20T10:00:00+08:00,",
        f"{customer},BANK-2,12.50,CNY,2026-11-21T10:00:00+08:00,",
        "not-a-guid,BANK-3,100,CNY,2026-11-21T10:00:00+08:00,",
        f"{customer},BANK-4,100,CNY,2026-11-21 10:00,",
    ])
    result = run("import-payments", str(csv_file), env=storage_env)
    assert result.returncode == 1
    assert "line 3: amount" in result.stderr and "line 4: customer_id" in result.stderr
    assert "line 5: paid_at" in result.stderr and "nothing imported" in result.stderr
    assert Accounts(tables.table("accounts")).get(customer) is None
    skipped = run("import-payments", "--skip-bad", str(csv_file), env=storage_env)
    assert skipped.returncode == 0 and "recorded: 1" in skipped.stdout
    assert Accounts(tables.table("accounts")).get(customer).summary.balance == -100000


def test_policy_check_accepts_the_shipped_policy_and_names_lines_of_a_broken_one(tmp_path):
    assert run("policy", "check", str(POLICY)).returncode == 0
    broken = tmp_path / "broken.toml"
    broken.write_text(POLICY.read_text(encoding="utf-8").replace('timezone = "Asia/Shanghai"',
                                                                 'timezone = "Mars/Olympus"'), encoding="utf-8")
    result = run("policy", "check", str(broken))
    assert result.returncode == 1
    assert result.stderr.startswith(f"{broken}:") and "timezone" in result.stderr


def test_policy_render_produces_the_customer_facing_text():
    zh = run("policy", "render", str(POLICY), "--lang", "zh-CN")
    en = run("policy", "render", str(POLICY), "--lang", "en", "--format", "html")
    assert zh.returncode == 0 and "暂停" in zh.stdout
    assert en.returncode == 0 and en.stdout.lstrip().lower().startswith("<!doctype html")


def test_customer_show_prints_the_customer_as_json(tables, storage_env, tmp_path):
    customer = new_customer()
    csv_file = write_csv(tmp_path / "bank.csv", [f"{customer},BANK-1,100,CNY,2026-11-20T10:00:00+08:00,"])
    run("import-payments", str(csv_file), env=storage_env)
    shown = run("customer", "show", customer, env=storage_env)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["unapplied_credit"] == 100
    assert run("customer", "show", "nope", env=storage_env).returncode == 2


def test_rebuild_summaries_repairs_a_summary_that_drifted_from_its_facts(tables, storage_env, tmp_path):
    customer = new_customer()
    csv_file = write_csv(tmp_path / "bank.csv", [f"{customer},BANK-1,100,CNY,2026-11-20T10:00:00+08:00,"])
    run("import-payments", str(csv_file), env=storage_env)
    ledger = tables.table("ledger")
    summary = ledger.get(customer, "summary")
    ledger.update_if_match(summary, {**summary.values, "balance": 999}, replace=True)
    result = run("rebuild-summaries", env=storage_env)
    assert result.returncode == 0 and f"repaired {customer}" in result.stdout
    assert ledger.get(customer, "summary").integer("balance") == -100
