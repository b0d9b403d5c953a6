"""The benchmarks run as the issues name them (`python bench/<name>.py`), and the scan's prints its contract line."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
REPO = Path(__file__).parents[2]


@pytest.mark.parametrize("name", ["scan", "fraud_poll", "webhooks", "partner_center"])
def test_each_benchmark_runs_as_a_script(name):
    done = subprocess.run([sys.executable, str(REPO / "bench" / f"{name}.py"), "--help"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout


def test_the_scan_benchmark_ends_with_its_contract_line():
    done = subprocess.run([sys.executable, str(REPO / "bench" / "scan.py"), "--accounts", "200",
                           "--due-today-percent", "5"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    found = re.fullmatch(r"scan: accounts=(\d+) due_today=(\d+) floor_s=([\d.]+) scan_s=([\d.]+) ratio=([\d.]+)", last)
    assert found, last
    assert found.group(1, 2) == ("200", "10")
    assert re.search(r"acting \(due-customers queue function\)\s+10 changed", done.stdout)  # all acted on


def test_the_fraud_poll_benchmark_against_the_sandbox_keeps_every_run_within_its_budget():
    done = subprocess.run([sys.executable, str(REPO / "bench" / "fraud_poll.py"), "--sandbox", "--customers", "60",
                           "--runs", "4", "--budget", "20"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    found = re.fullmatch(r"fraud_poll: customers=60 calls_per_run_max=(\d+) calls_per_run_mean=[\d.]+ "
                         r"longest_gap_h=[\d.]+ runs_to_cover_everyone=(\d+|None)", last)
    assert found, last
    assert int(found.group(1)) <= 20  # counted by the sandbox, which records every request it answers
