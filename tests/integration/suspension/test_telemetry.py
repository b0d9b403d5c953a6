"""Custom metrics reach a configured meter provider (Application Insights in Azure)."""

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from lib.services.write_gate import Asker
from lib.telemetry import configure_telemetry, telemetry
from tests.fixtures.sandbox import fault
from tests.support.suspension_world import seeded_customer, world

pytestmark = pytest.mark.integration


@pytest.fixture
def metrics_reader():
    reader = InMemoryMetricReader()
    telemetry.bind(MeterProvider(metric_readers=[reader]))
    yield reader
    telemetry.bind(None)


def points(reader):
    found = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                found[metric.name] = list(metric.data.data_points)
    return found


def test_suspensions_restores_latency_and_throttles_are_counted(tables, pc_sandbox, pc_client, metrics_reader):
    customer, _ = seeded_customer(pc_sandbox, ("active", "active"))
    fault(pc_sandbox, path="/subscriptions/", method="PATCH", status=429, times=1, retry_after=1)
    w = world(tables, pc_client)
    w.service.suspend(customer, asker=Asker.AUTOMATIC, reason="fraud", actor="test")
    w.service.restore(customer, reason="fraud", actor="test")
    found = points(metrics_reader)
    assert sum(p.value for p in found["csp_guard.suspensions"]) == 2
    assert found["csp_guard.suspensions"][0].attributes == {"reason": "fraud"}
    assert sum(p.value for p in found["csp_guard.restores"]) == 2
    assert sum(p.value for p in found["csp_guard.partner_center.throttles"]) == 1
    assert sum(p.count for p in found["csp_guard.partner_center.latency"]) >= 6


def test_export_is_configured_only_with_a_connection_string(monkeypatch):
    monkeypatch.delenv("APPLICATIONINSIGHTS_CONNECTION_STRING", raising=False)
    assert configure_telemetry() is False
