"""`PUT`/`GET /api/customers/{id}/payers` over HTTP on the development host."""

import json
import uuid

import pytest
import requests

from lib.settings import StorageSettings
from lib.store.tables import TableStore
from tests.fixtures.azurite import start_devhost
from tests.support.billing_events import new_customer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def host(azurite, pc_sandbox_server):
    """One host for the module (each test uses its own customers): its own tables, dropped afterwards."""
    unique = uuid.uuid4().hex[:10]
    env = {"AzureWebJobsStorage": azurite.connection_string, "CSPGUARD_TABLE_PREFIX": f"t{unique}",
           "SERVICE_REQUESTS_QUEUE": f"sr-{unique}", "PARTNER_CENTER_BASE_URL": pc_sandbox_server.url,
           "PARTNER_CENTER_STATIC_TOKEN": "sandbox-token"}
    running = start_devhost(env, "--no-timers", "--no-queues")
    yield running
    running.stop()
    TableStore.from_settings(StorageSettings(connection_string=azurite.connection_string), f"t{unique}").drop_tables()


def call(host, method, path, body=None, raw=None, **headers):
    data = raw if raw is not None else (None if body is None else json.dumps(body, ensure_ascii=False).encode())
    return requests.request(method, f"{host.url}/api/{path}", timeout=30, data=data,
                            headers={"x-functions-key": host.function_key, **headers})


def test_payers_are_stored_and_answered_back(host):
    customer = new_customer()
    body = {"accounts": ["7559 0000 1110 201"], "names": ["深圳市星河科技有限公司", "Xinghe Tech Co., Ltd."]}
    put = call(host, "PUT", f"customers/{customer}/payers", body, **{"x-cspguard-actor": "alice"})
    assert put.status_code == 200, put.text
    stored = put.json()
    assert (stored["customer_id"], stored["accounts"], stored["names"]) == (customer, body["accounts"], body["names"])
    assert stored["updated_by"] == "key:alice" and stored["updated_at"]
    assert call(host, "GET", f"customers/{customer}/payers").json() == stored
    emptied = call(host, "PUT", f"customers/{customer}/payers", {"accounts": [], "names": []})
    assert emptied.status_code == 200 and emptied.json()["names"] == []


def test_a_customer_without_payers_answers_empty_lists(host):
    customer = new_customer()
    got = call(host, "GET", f"customers/{customer}/payers")
    assert got.status_code == 200 and (got.json()["accounts"], got.json()["names"]) == ([], [])


@pytest.mark.parametrize(("body", "field"), [
    ({"accounts": "6222020200112233445"}, "accounts"),
    ({"accounts": ["12"]}, "accounts[0]"),
    ({"names": ["甲公司", "有限公司"]}, "names[1]"),
    ({"names": ["甲公司", "甲 公司"]}, "names[1]"),
    ({"names": [42]}, "names[0]"),
    ({"payers": []}, "payers"),
    ([], "body"),
])
def test_a_bad_body_is_a_400_naming_the_field_and_stores_nothing(host, body, field):
    customer = new_customer()
    response = call(host, "PUT", f"customers/{customer}/payers", body)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["field"] == field and response.json()["type"].endswith("/invalid-payers")
    assert call(host, "GET", f"customers/{customer}/payers").json()["names"] == []


def test_malformed_json_or_customer_id_is_a_400(host):
    assert call(host, "PUT", f"customers/{new_customer()}/payers", raw=b"{not json").status_code == 400
    assert call(host, "PUT", "customers/not-a-tenant/payers", {"names": ["甲"]}).json()["field"] == "customer_id"


def test_an_account_or_name_claimed_by_another_customer_is_a_409(host):
    first, second = new_customer(), new_customer()
    assert call(host, "PUT", f"customers/{first}/payers", {"accounts": ["110022334455"],
                                                            "names": ["Contoso Ltd."]}).status_code == 200
    conflict = call(host, "PUT", f"customers/{second}/payers", {"names": ["乙公司", "CONTOSO limited"]})
    assert conflict.status_code == 409
    assert conflict.json()["field"] == "names[1]" and conflict.json()["customer_id"] == first
    assert call(host, "GET", f"customers/{second}/payers").json()["names"] == []
    assert call(host, "PUT", f"customers/{second}/payers", {"accounts": ["1100-2233-4455"]}).status_code == 409


def test_payers_need_the_function_key(host):
    response = requests.get(f"{host.url}/api/customers/{new_customer()}/payers", timeout=30)
    assert response.status_code == 401
