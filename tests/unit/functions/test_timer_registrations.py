"""Timer registrations, read once per module as the Functions worker reads them."""

import pytest


@pytest.fixture
def timers(registered):
    found = {}
    for function in registered.values():
        spec = function.get_trigger().get_dict_repr()
        if spec["type"] == "timerTrigger":
            found[function.get_function_name()] = spec
    return found


def test_timer_delinquency_scan_runs_on_its_setting_with_the_monitor(timers):
    spec = timers["delinquency_scan"]
    assert (spec["schedule"], spec["runOnStartup"], spec["useMonitor"]) == ("%SCAN_SCHEDULE%", False, True)


def test_timer_fraud_events_poll_runs_on_its_setting(timers):
    spec = timers["fraud_events_poll"]
    assert (spec["schedule"], spec["runOnStartup"], spec["useMonitor"]) == ("%FRAUD_POLL_SCHEDULE%", False, True)


def test_timer_reconcile_runs_on_its_setting(timers):
    spec = timers["reconcile"]
    assert (spec["schedule"], spec["runOnStartup"], spec["useMonitor"]) == ("%RECONCILE_SCHEDULE%", False, True)


def test_timer_full_sweep_runs_on_its_setting_never_on_startup(timers):
    spec = timers["full_sweep"]
    assert (spec["schedule"], spec["runOnStartup"], spec["useMonitor"]) == ("%FULL_SWEEP_SCHEDULE%", False, True)


def test_queue_create_service_request_reads_the_queue_named_by_its_setting(registered):
    spec = registered["create_service_request"].get_trigger().get_dict_repr()
    assert (spec["type"], spec["queueName"], spec["connection"]) == (
        "queueTrigger", "%SERVICE_REQUESTS_QUEUE%", "AzureWebJobsStorage")
