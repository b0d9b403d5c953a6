"""`make run` trusts the sandbox's test CA for webhook certificates, and only because Partner Center is loopback."""

from pathlib import Path

import pytest

from lib.local_stack import _trust_sandbox_ca
from lib.settings import SettingsError, load_settings

pytestmark = pytest.mark.integration


def test_make_run_writes_the_sandbox_ca_and_points_the_app_at_it(pc_sandbox):
    env = {"PARTNER_CENTER_BASE_URL": pc_sandbox.url}
    _trust_sandbox_ca(env)
    bundle = Path(env["PARTNER_CENTER_WEBHOOK_CA_BUNDLE"])
    assert bundle.read_bytes() == pc_sandbox.server.identity.ca_pem
    assert load_settings(env).partner_center.webhook_ca_bundle == bundle


def test_an_operator_given_bundle_is_kept_and_a_remote_partner_center_gets_none(pc_sandbox, tmp_path):
    given = {"PARTNER_CENTER_BASE_URL": pc_sandbox.url, "PARTNER_CENTER_WEBHOOK_CA_BUNDLE": str(tmp_path / "x.pem")}
    _trust_sandbox_ca(given)
    assert given["PARTNER_CENTER_WEBHOOK_CA_BUNDLE"] == str(tmp_path / "x.pem")
    remote = {"PARTNER_CENTER_BASE_URL": "https://partner.partnercenterapi.microsoftonline.cn"}
    _trust_sandbox_ca(remote)
    assert "PARTNER_CENTER_WEBHOOK_CA_BUNDLE" not in remote
    with pytest.raises(SettingsError, match="only allowed when PARTNER_CENTER_BASE_URL is a loopback"):
        load_settings({**remote, "PARTNER_CENTER_WEBHOOK_CA_BUNDLE": str(Path(__file__))})
