"""The logging implementation of the OpsAlerts port: one ERROR line per alert, its kind and details as fields."""

import logging

from lib.services.ops_alerts import LoggingOpsAlerts, OpsAlerts


def test_an_alert_is_one_error_line_carrying_its_kind_and_details(caplog):
    alerts: OpsAlerts = LoggingOpsAlerts()
    with caplog.at_level(logging.ERROR, logger="csp_guard.ops_alerts"):
        alerts.raise_alert("reconcile_gave_up", "suspend of c-1 still failing", {"customer_id": "c-1", "attempts": 4})
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert record.getMessage() == "ops alert reconcile_gave_up: suspend of c-1 still failing"
    assert record.alert_kind == "reconcile_gave_up" and record.alert_details == {"customer_id": "c-1", "attempts": 4}
