import pytest

from lib.settings import SettingsError, load_settings

GUID = "0f8fad5b-d9cb-469f-a165-70867728950e"


def settings_with(**env):
    return load_settings(env)


def test_defaults_match_the_design():
    s = settings_with()
    assert s.storage.connection_string == "UseDevelopmentStorage=true"
    assert s.table_prefix == "cspguard"
    assert s.service_requests_queue == "service-requests"
    assert s.partner_center.base_url == "https://partner.partnercenterapi.microsoftonline.cn"
    assert s.partner_center.authority == "https://login.chinacloudapi.cn"
    assert s.partner_center.scope == "https://api.partnercenter.microsoft.com/.default"
    assert s.partner_center.agent_locale == "zh-CN"
    assert s.enforcement_mode == "shadow" and not s.enforcing
    assert s.max_suspensions_per_run == 25
    assert s.enforcement_paused is False
    assert (s.scan_schedule, s.fraud_poll_schedule, s.reconcile_schedule) == (
        "0 0 1 * * *", "0 */15 * * * *", "0 30 * * * *")
    assert s.webhook_tolerance_seconds == 300
    assert s.operator_roles == ("CspGuard.Operator",)
    assert s.collections_policy.name == "collections.toml"


@pytest.mark.parametrize(("name", "value", "message"), [
    ("CSPGUARD_TABLE_PREFIX", "1abc", "CSPGUARD_TABLE_PREFIX"),
    ("CSPGUARD_TABLE_PREFIX", "with-dash", "CSPGUARD_TABLE_PREFIX"),
    ("SERVICE_REQUESTS_QUEUE", "Upper", "SERVICE_REQUESTS_QUEUE"),
    ("PARTNER_CENTER_BASE_URL", "ftp://x", "PARTNER_CENTER_BASE_URL"),
    ("PARTNER_CENTER_BASE_URL", "http://partner.example.cn", "PARTNER_CENTER_BASE_URL: plain http"),
    ("PARTNER_CENTER_AUTHORITY", "not a url", "PARTNER_CENTER_AUTHORITY"),
    ("PARTNER_CENTER_AGENT_LOCALE", "chinese", "PARTNER_CENTER_AGENT_LOCALE"),
    ("PARTNER_CENTER_TENANT_ID", "tenant", "PARTNER_CENTER_TENANT_ID"),
    ("PARTNER_CENTER_CLIENT_ID", "client", "PARTNER_CENTER_CLIENT_ID"),
    ("COLLECTIONS_POLICY", "policy/missing.toml", "COLLECTIONS_POLICY: no file"),
    ("ENFORCEMENT_MODE", "yolo", "ENFORCEMENT_MODE"),
    ("MAX_SUSPENSIONS_PER_RUN", "ten", "MAX_SUSPENSIONS_PER_RUN"),
    ("MAX_SUSPENSIONS_PER_RUN", "-1", "MAX_SUSPENSIONS_PER_RUN"),
    ("ENFORCEMENT_PAUSED", "maybe", "ENFORCEMENT_PAUSED"),
    ("ALLOW_FUTURE_AS_OF", "someday", "ALLOW_FUTURE_AS_OF: 'someday' is not true or false"),
    ("SCAN_SCHEDULE", "0 1 * * *", "SCAN_SCHEDULE"),
    ("FRAUD_POLL_SCHEDULE", "0 */0 * * * *", "FRAUD_POLL_SCHEDULE"),
    ("RECONCILE_SCHEDULE", "0 61 * * * *", "RECONCILE_SCHEDULE"),
    ("WEBHOOK_TOLERANCE_SECONDS", "0", "WEBHOOK_TOLERANCE_SECONDS"),
    ("WEBHOOK_SECRET_STANDARD", " , ", "WEBHOOK_SECRET_STANDARD"),
    ("WEBHOOK_SECRET_BAD-NAME", "whsec_x", "WEBHOOK_SECRET_BAD-NAME"),
    ("OPERATOR_ROLES", ",", "OPERATOR_ROLES"),
    ("PARTNER_CENTER_WEBHOOK_CERT_HOSTS", " , ", "PARTNER_CENTER_WEBHOOK_CERT_HOSTS"),
    ("AzureWebJobsStorage", "garbage", "AzureWebJobsStorage"),
])
def test_a_malformed_setting_fails_with_one_line_naming_it(name, value, message):
    with pytest.raises(SettingsError) as raised:
        settings_with(**{name: value})
    text = str(raised.value)
    assert text.startswith(name) and message in text
    assert "\n" not in text


def test_static_token_is_refused_unless_partner_center_is_on_loopback():
    with pytest.raises(SettingsError, match="PARTNER_CENTER_STATIC_TOKEN: only allowed"):
        settings_with(PARTNER_CENTER_STATIC_TOKEN="t0ken")
    s = settings_with(PARTNER_CENTER_STATIC_TOKEN="t0ken", PARTNER_CENTER_BASE_URL="http://127.0.0.1:7081")
    assert s.partner_center.static_token == "t0ken"


def test_identity_based_storage_needs_a_queue_endpoint_with_a_table_endpoint():
    with pytest.raises(SettingsError, match=r"^AzureWebJobsStorage__queueServiceUri: required"):
        settings_with(AzureWebJobsStorage__tableServiceUri="https://a.table.core.chinacloudapi.cn")
    s = settings_with(AzureWebJobsStorage__accountName="acct", AZURE_STORAGE_ENDPOINT_SUFFIX="core.windows.net")
    assert s.storage.queue_endpoint == "https://acct.queue.core.windows.net"


def test_partner_center_webhook_certificates_default_to_partner_centers_host():
    s = settings_with()
    assert s.partner_center.webhook_cert_hosts == ("3psostorageacct.blob.core.windows.net",)
    assert s.partner_center.webhook_cert_organization == "Microsoft Corporation"
    local = settings_with(PARTNER_CENTER_WEBHOOK_CERT_HOSTS="127.0.0.1:7081, cert.example.cn")
    assert local.partner_center.webhook_cert_hosts == ("127.0.0.1:7081", "cert.example.cn")


def test_webhook_secrets_are_per_provider_and_rotatable():
    s = settings_with(WEBHOOK_SECRET_STANDARD="whsec_new, whsec_old", WEBHOOK_SECRET_STRIPE="whsec_s")
    assert s.webhook_secrets == {"standard": ("whsec_new", "whsec_old"), "stripe": ("whsec_s",)}


def test_secrets_never_appear_in_the_settings_repr():
    s = settings_with(WEBHOOK_SECRET_STANDARD="whsec_topsecretvalue", PARTNER_CENTER_CLIENT_SECRET="pc-secret-123",
                      CSPGUARD_FUNCTION_KEY="fn-key-456", PARTNER_CENTER_TENANT_ID=GUID)
    text = repr(s)
    for secret in ("whsec_topsecretvalue", "pc-secret-123", "fn-key-456"):
        assert secret not in text
    assert set(s.secret_values()) >= {"whsec_topsecretvalue", "pc-secret-123", "fn-key-456"}


def test_identity_based_storage_defaults_to_azure_china_endpoints():
    s = settings_with(AzureWebJobsStorage__accountName="cspguardprod")
    assert s.storage.uses_identity
    assert s.storage.table_endpoint == "https://cspguardprod.table.core.chinacloudapi.cn"
    assert s.storage.queue_endpoint == "https://cspguardprod.queue.core.chinacloudapi.cn"


def test_enforcement_words_are_case_insensitive_and_booleans_accept_common_spellings():
    s = settings_with(ENFORCEMENT_MODE="Enforce", ENFORCEMENT_PAUSED="YES", MAX_SUSPENSIONS_PER_RUN="0")
    assert s.enforcing and s.enforcement_paused and s.max_suspensions_per_run == 0


def test_future_as_of_is_refused_unless_allowed():
    assert settings_with().allow_future_as_of is False
    assert settings_with(ALLOW_FUTURE_AS_OF="true").allow_future_as_of is True


def test_review_is_an_enforcement_mode_and_an_unknown_one_names_all_three():
    assert settings_with(ENFORCEMENT_MODE="review").enforcement_mode == "review"
    with pytest.raises(SettingsError, match=r"^ENFORCEMENT_MODE: 'later' is not one of shadow, enforce, review$"):
        settings_with(ENFORCEMENT_MODE="later")


def test_the_webhook_ca_bundle_is_refused_unless_partner_center_is_on_loopback(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    with pytest.raises(SettingsError, match=r"^PARTNER_CENTER_WEBHOOK_CA_BUNDLE: only allowed when"):
        settings_with(PARTNER_CENTER_WEBHOOK_CA_BUNDLE=str(bundle))
    local = settings_with(PARTNER_CENTER_WEBHOOK_CA_BUNDLE=str(bundle), PARTNER_CENTER_BASE_URL="http://127.0.0.1:7081")
    assert local.partner_center.webhook_ca_bundle == bundle
    assert settings_with().partner_center.webhook_ca_bundle is None
    empty = tmp_path / "empty.pem"
    empty.write_bytes(b"")
    with pytest.raises(SettingsError, match=r"^PARTNER_CENTER_WEBHOOK_CA_BUNDLE: .* holds no PEM certificate"):
        settings_with(PARTNER_CENTER_WEBHOOK_CA_BUNDLE=str(empty), PARTNER_CENTER_BASE_URL="http://127.0.0.1:7081")
    with pytest.raises(SettingsError, match=r"^PARTNER_CENTER_WEBHOOK_CA_BUNDLE: no file"):
        settings_with(PARTNER_CENTER_WEBHOOK_CA_BUNDLE=str(tmp_path / "missing.pem"),
                      PARTNER_CENTER_BASE_URL="http://127.0.0.1:7081")


def test_webhook_issuer_hosts_default_to_microsofts_pki_hosts():
    assert settings_with().partner_center.webhook_issuer_hosts == ("www.microsoft.com", "cacerts.digicert.com")
    s = settings_with(PARTNER_CENTER_WEBHOOK_ISSUER_HOSTS="pki.example.cn")
    assert s.partner_center.webhook_issuer_hosts == ("pki.example.cn",)
