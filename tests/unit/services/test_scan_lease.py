"""The scan's lease lasts exactly as long as the Functions host lets a function run."""

import json
from datetime import timedelta
from pathlib import Path

from lib.services.delinquency_scan import SCAN_LEASE, ScanSettings

REPO = Path(__file__).resolve().parents[3]


def test_the_scan_lease_is_host_json_function_timeout():
    host = json.loads((REPO / "host.json").read_text(encoding="utf-8"))
    hours, minutes, seconds = (int(part) for part in host["functionTimeout"].split(":"))
    assert timedelta(hours=hours, minutes=minutes, seconds=seconds) == SCAN_LEASE
    assert ScanSettings(max_suspensions=1).lease_for == SCAN_LEASE
