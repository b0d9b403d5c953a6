"""Session-wide fixtures: a real Azurite and the Partner Center sandbox, each started once per test session."""

pytest_plugins = ["tests.fixtures.azurite", "tests.fixtures.sandbox", "tests.fixtures.smtp_server"]
