"""How the storage clients' transport treats the process environment (read once, not on every call)."""

from azure.core.pipeline.transport import RequestsTransport

from lib.store.tables import transport_options


def test_without_network_settings_the_transport_skips_the_per_call_environment_scan():
    options = transport_options({"PATH": "/usr/bin"})
    transport = options["transport"]
    assert isinstance(transport, RequestsTransport)
    assert transport._use_env_settings is False
    assert transport.connection_config.verify is True


def test_a_ca_bundle_in_the_environment_is_still_honoured_for_tls():
    options = transport_options({"REQUESTS_CA_BUNDLE": "/etc/ssl/corp.pem"})
    transport = options["transport"]
    assert transport._use_env_settings is False
    assert transport.connection_config.verify == "/etc/ssl/corp.pem"
    assert transport_options({"CURL_CA_BUNDLE": "/etc/ssl/b.pem"})["transport"].connection_config.verify == \
        "/etc/ssl/b.pem"


def test_a_proxy_setting_keeps_requests_own_handling_of_the_environment():
    assert transport_options({"HTTPS_PROXY": "http://proxy.corp:3128"}) == {}
    assert transport_options({"no_proxy": "localhost", "REQUESTS_CA_BUNDLE": "/x.pem"}) == {}
