"""Start-up of the Functions app: a bad setting or policy stops it with one line; logging masks from then on."""

import logging
import subprocess
import sys

import pytest

from lib.app_startup import AppStartupError, start_app
from lib.settings import APP_ROOT, get_settings

BROKEN_POLICY = 'timezone = "Asia/Shanghai"\nminimum_overdue = "lots"\n\n[[stages]]\nname = "reminder"\n'


@pytest.fixture
def clean_settings(monkeypatch):
    get_settings.cache_clear()
    factory, root = logging.getLogRecordFactory(), logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield monkeypatch
    get_settings.cache_clear()
    logging.setLogRecordFactory(factory)
    root.handlers[:] = handlers
    root.setLevel(level)


def test_a_bad_setting_stops_start_up_with_one_line_naming_it(clean_settings):
    clean_settings.setenv("ENFORCEMENT_MODE", "sometimes")
    with pytest.raises(AppStartupError) as caught:
        start_app()
    assert str(caught.value) == "setting ENFORCEMENT_MODE: 'sometimes' is not one of shadow, enforce, review"


def test_a_policy_that_does_not_validate_stops_start_up_with_one_line_naming_the_problem(clean_settings, tmp_path):
    policy = tmp_path / "collections.toml"
    policy.write_text(BROKEN_POLICY, encoding="utf-8")
    clean_settings.setenv("COLLECTIONS_POLICY", str(policy))
    with pytest.raises(AppStartupError) as caught:
        start_app()
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"policy {policy}:2: minimum_overdue") and "more problem" in message


def test_a_valid_start_returns_the_settings_and_masks_their_secrets_in_every_record(clean_settings, caplog):
    clean_settings.setenv("PARTNER_CENTER_CLIENT_SECRET", "pc-secret-for-the-start-test")
    settings = start_app()
    assert settings.partner_center.client_secret == "pc-secret-for-the-start-test"
    with caplog.at_level(logging.INFO, logger="csp_guard.test"):
        logging.getLogger("csp_guard.test").info("token %s", "pc-secret-for-the-start-test")
    assert caplog.records[-1].getMessage() == "token ***"


def test_importing_the_app_with_a_broken_policy_fails_with_one_line(tmp_path):
    """What the Python worker reports when indexing fails: the exception's one-line message."""
    policy = tmp_path / "collections.toml"
    policy.write_text(BROKEN_POLICY, encoding="utf-8")
    result = subprocess.run([sys.executable, "-c", "import function_app"], cwd=APP_ROOT, capture_output=True,
                            text=True, timeout=60, check=False,
                            env={"PATH": "/usr/bin:/bin", "COLLECTIONS_POLICY": str(policy)})
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"lib.app_startup.AppStartupError: policy {policy}:2: minimum_overdue")
