"""Custom metrics, and export to Application Insights when APPLICATIONINSIGHTS_CONNECTION_STRING is set.

The instruments come from the OpenTelemetry API, which does nothing until a meter provider is configured: locally
and in tests they cost almost nothing; in Azure `configure_telemetry` installs the Azure Monitor distro, which
exports them with the logs and traces.
"""

from __future__ import annotations

import logging
import os
import threading

from opentelemetry import metrics
from opentelemetry.metrics import MeterProvider

log = logging.getLogger("csp_guard.telemetry")
METER = "csp_guard"
_configured = threading.Event()


class Telemetry:
    def __init__(self, provider: MeterProvider | None = None) -> None:
        self.bind(provider)

    def bind(self, provider: MeterProvider | None) -> None:
        meter = (provider or metrics.get_meter_provider()).get_meter(METER)
        self.accounts_evaluated = meter.create_counter(
            "csp_guard.scan.accounts_evaluated", unit="{account}", description="accounts evaluated by scans")
        self.suspensions = meter.create_counter(
            "csp_guard.suspensions", unit="{subscription}", description="subscriptions suspended (by reason)")
        self.restores = meter.create_counter(
            "csp_guard.restores", unit="{subscription}", description="subscriptions restored (by reason)")
        self.webhook_events = meter.create_counter(
            "csp_guard.webhook.events", unit="{event}", description="billing events received (by provider, status)")
        self.partner_center_latency = meter.create_histogram(
            "csp_guard.partner_center.latency", unit="ms", description="Partner Center call latency")
        self.partner_center_throttles = meter.create_counter(
            "csp_guard.partner_center.throttles", unit="{response}", description="429 answers from Partner Center")


telemetry = Telemetry()


def configure_telemetry() -> bool:
    """Sends logs, traces and metrics to Application Insights; once per process, and only when configured."""
    connection = os.environ.get("APPLICATIONINSIGHTS_CONNECTION_STRING")
    if not connection or _configured.is_set():
        return False
    from azure.monitor.opentelemetry import configure_azure_monitor

    configure_azure_monitor(connection_string=connection, logger_name="csp_guard")
    telemetry.bind(None)  # rebind the instruments to the provider the distro installed
    _configured.set()
    log.info("telemetry exported to Application Insights")
    return True
