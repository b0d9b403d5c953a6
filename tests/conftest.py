"""Session-wide fixtures: a real Azurite and the Partner Center sandbox, each started once per test session."""

pytest_plugins = ["tests.fixtures.azurite", "tests.fixtures.sandbox", "tests.fixtures.smtp_server"]

from hypothesis import HealthCheck, settings  # noqa: E402

# Hypothesis's timing checks (a slow draw, a slow example) measure the machine, not the code: on 2 cores shared with
# Azurite and the development host they fail at random. Speed is the benchmarks' business (bench/); the properties
# keep every example they check.
settings.register_profile("csp-guard", suppress_health_check=[HealthCheck.too_slow], deadline=None)
settings.load_profile("csp-guard")
