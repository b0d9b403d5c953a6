"""The Azure Functions app (Python v2 programming model): one Blueprint per module in functions/."""

from __future__ import annotations

import azure.functions as func

from functions import (
    console,
    customers,
    health,
    notices,
    payers,
    proposals,
    reports,
    scans,
    service_requests,
    webhooks,
)
from lib.app_startup import start_app
from lib.telemetry import configure_telemetry

# Settings and the policy are validated here, and logging masks secrets from here on: a bad setting or policy stops
# start-up with one line. Nothing here connects to storage or Partner Center.
start_app()
# Only when APPLICATIONINSIGHTS_CONNECTION_STRING is set (in Azure); it connects to nothing at import.
configure_telemetry()

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
app.register_functions(health.bp)
app.register_functions(webhooks.bp)
app.register_functions(customers.bp)
app.register_functions(reports.bp)
app.register_functions(scans.bp)
app.register_functions(service_requests.bp)
app.register_functions(payers.bp)
app.register_functions(notices.bp)
app.register_functions(console.bp)
app.register_functions(proposals.bp)
