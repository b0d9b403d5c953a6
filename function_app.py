"""The Azure Functions app (Python v2 programming model): one Blueprint per module in functions/."""

from __future__ import annotations

import azure.functions as func

from functions import console, customers, health, payers, reports, scans, service_requests, webhooks
from lib.telemetry import configure_telemetry

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
app.register_functions(console.bp)
