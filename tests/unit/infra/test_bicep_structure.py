"""The Bicep in infra/ read as text, against what the code needs: no cloud, no Bicep CLI (except the last test).

The settings the code reads are taken from lib/settings.py itself, so a new setting without its app setting fails
here rather than at the first start-up in Azure.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
INFRA = REPO / "infra"

# Read by lib/settings.py but never set in Azure, and why.
LOCAL_ONLY = {
    "PARTNER_CENTER_STATIC_TOKEN": "sandbox bearer token, refused unless the base URL is a loopback address",
    "CSPGUARD_FUNCTION_KEY": "the development host's function key; the Functions host keeps its own keys",
    "AzureWebJobsStorage": "the connection-string form; Azure uses the identity-based AzureWebJobsStorage__* settings",
    "ALLOW_FUTURE_AS_OF": "lets a real scan run for a later day: replays in tests and demos, never in Azure",
    "PARTNER_CENTER_WEBHOOK_CA_BUNDLE": "the sandbox's test CA, refused unless the base URL is a loopback address",
}

# Role name -> well-known role definition id (the same in every Azure cloud).
REQUIRED_ROLES = {
    "Storage Table Data Contributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    "Storage Queue Data Contributor": "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
}

NOT_IN_AZURE_CHINA = ("Y1", "FC1", "Dynamic", "FlexConsumption")
PUBLIC_CLOUD_HOSTS = ("core.windows.net", "login.microsoftonline.com", "vault.azure.net",
                      "applicationinsights.azure.com")
SECRET_LITERALS = ("AccountKey=", "whsec_", "SharedAccessSignature=", "DefaultEndpointsProtocol=", "listKeys(", "sig=")
SECRET_NAME = re.compile(r"secret|password|token", re.IGNORECASE)
KEY_VAULT_REFERENCE = "@Microsoft.KeyVault(SecretUri="


def _strip_comments(text: str) -> str:
    """Bicep without // and /* */ comments; '...' strings (where URLs hold //) are kept whole."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith("'''", i):
            end = text.find("'''", i + 3)
            end = n if end < 0 else end + 3
            out.append(text[i:end])
            i = end
        elif text[i] == "'":
            j = i + 1
            while j < n and text[j] != "'":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


@cache
def _bicep_files() -> dict[str, str]:
    return {str(path.relative_to(INFRA)): path.read_text(encoding="utf-8") for path in sorted(INFRA.rglob("*.bicep"))}


@cache
def _bicep_code() -> str:
    return "\n".join(_strip_comments(text) for text in _bicep_files().values())


def _object_keys(code: str) -> dict[str, str]:
    """Every `key: value` line of the Bicep, key -> the value's text (the last one wins)."""
    return {m.group(1): m.group(2).strip() for m in re.finditer(r"(?m)^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.+)$", code)}


def _main() -> str:
    return _strip_comments(_bicep_files()["main.bicep"])


def _param_default(code: str, name: str) -> str:
    match = re.search(rf"(?m)^param {name} \w+ = '([^']*)'", code)
    assert match, f"param {name} has no string default"
    return match.group(1)


def _decorators_of(text: str, name: str) -> str:
    """The decorator lines just above `param <name>`."""
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if re.match(rf"param {name}\b", line))
    block: list[str] = []
    for line in reversed(lines[:index]):
        if not line.strip() or re.match(r"(param|var|resource|module|output|targetScope)\b|}", line):
            break
        block.append(line)
    return "\n".join(reversed(block))


def _allowed_values(text: str, name: str) -> list[str]:
    return re.findall(r"'([^']*)'", _decorators_of(text, name).partition("@allowed")[2].partition("])")[0])


@cache
def _settings_read() -> tuple[frozenset[str], frozenset[str]]:
    """(names, prefixes) that lib/settings*.py read: literals given to the reader, and startswith() prefixes."""
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in sorted((REPO / "lib").glob("settings*.py"))]
    names: set[str] = set()
    prefixes: set[str] = set()
    for node in (node for tree in trees for node in ast.walk(tree)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
            continue
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        owner = node.func.value
        if isinstance(owner, ast.Name) and owner.id == "reader":
            names.add(first.value)
        elif node.func.attr == "startswith" and re.fullmatch(r"[A-Z_]+_", first.value):
            prefixes.add(first.value)
    return frozenset(names), frozenset(prefixes)


def _tuple_constant(path: Path, name: str) -> tuple[str, ...]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            value = ast.literal_eval(node.value)
            assert isinstance(value, tuple)
            return tuple(str(v) for v in value)
    raise AssertionError(f"{name} not found in {path}")


def test_settings_extraction_finds_the_settings_it_should() -> None:
    names, prefixes = _settings_read()
    assert {"ENFORCEMENT_MODE", "AzureWebJobsStorage__accountName", "PARTNER_CENTER_CLIENT_SECRET"} <= names
    assert len(names) > 20
    assert prefixes == {"WEBHOOK_SECRET_"}


def test_every_setting_the_code_reads_is_an_app_setting() -> None:
    names, _ = _settings_read()
    keys = _object_keys(_bicep_code())
    missing = sorted(name for name in names - LOCAL_ONLY.keys() if name not in keys)
    assert not missing, f"lib/settings.py reads these but infra/ never sets them: {missing}"


def test_local_only_settings_are_never_deployed() -> None:
    code = _bicep_code()
    keys = _object_keys(code)
    for name in LOCAL_ONLY:
        assert name not in keys, f"{name} is local-only: {LOCAL_ONLY[name]}"
    assert "PARTNER_CENTER_STATIC_TOKEN" not in code
    assert "CSPGUARD_FUNCTION_KEY" not in code


def test_webhook_and_partner_center_secrets_are_key_vault_references() -> None:
    _, prefixes = _settings_read()
    keys = _object_keys(_bicep_code())
    secret_settings = {k: v for k, v in keys.items() if any(k.startswith(p) for p in prefixes)}
    assert {"WEBHOOK_SECRET_STANDARD", "WEBHOOK_SECRET_STRIPE"} <= secret_settings.keys()
    secret_settings["PARTNER_CENTER_CLIENT_SECRET"] = keys["PARTNER_CENTER_CLIENT_SECRET"]
    for name, value in secret_settings.items():
        assert value.startswith(f"'{KEY_VAULT_REFERENCE}"), f"{name} must be a Key Vault reference, not {value}"
    assert "keyVaultReferenceIdentity: identityId" in _bicep_code()


def test_host_settings_use_the_managed_identity_and_this_clouds_endpoints() -> None:
    keys = _object_keys(_bicep_code())
    assert keys["FUNCTIONS_EXTENSION_VERSION"] == "'~4'"
    assert keys["FUNCTIONS_WORKER_RUNTIME"] == "'python'"
    assert keys["AzureWebJobsStorage__credential"] == "'managedidentity'"
    assert keys["AzureWebJobsStorage__clientId"] == "identityClientId"
    assert keys["AZURE_CLIENT_ID"] == "identityClientId"
    for service in ("blob", "queue", "table"):
        assert keys[f"AzureWebJobsStorage__{service}ServiceUri"] in (
            "blobEndpoint",
            f"'https://${{storageAccountName}}.{service}.${{storageSuffix}}'",
        )
    assert keys["APPLICATIONINSIGHTS_CONNECTION_STRING"] == "appInsights.properties.ConnectionString"
    assert keys["AZURE_AUTHORITY_HOST"] == "authorityHost"
    api = _strip_comments(_bicep_files()["app/api.bicep"])
    assert "var storageSuffix = environment().suffixes.storage" in api
    assert "var loginEndpoint = environment().authentication.loginEndpoint" in api
    assert "linuxFxVersion: 'Python|3.11'" in api


def test_no_public_cloud_host_is_hard_coded() -> None:
    for path in [*INFRA.rglob("*.bicep"), *INFRA.rglob("*.json")]:
        text = path.read_text(encoding="utf-8")
        for host in PUBLIC_CLOUD_HOSTS:
            assert host not in text, f"{path.name} hard-codes {host}; take it from environment()"


def test_every_role_the_code_needs_is_assigned_with_its_well_known_id() -> None:
    rbac = _bicep_files()["app/rbac.bicep"]
    declared = {m.group(3).strip(): (m.group(1), m.group(2)) for m in re.finditer(
        r"(?m)^var (\w+) = '([0-9a-f-]{36})' // (.+)$", rbac)}
    code = _strip_comments(rbac)
    assert "Microsoft.Authorization/roleAssignments@" in code
    for role, guid in REQUIRED_ROLES.items():
        assert role in declared, f"no role id commented as {role!r}"
        variable, declared_guid = declared[role]
        assert declared_guid == guid, f"{role} is {guid}, not {declared_guid}"
        uses = re.findall(rf"\b{variable}\b", code)
        assert len(uses) >= 2, f"{role} ({variable}) is declared but never assigned"
    assert "scope: vault" in code and "scope: storage" in code
    assert "resourceGroup()" not in code and "subscription()" not in code, "roles are scoped to the resources"


def test_every_role_id_carries_a_comment_naming_the_role() -> None:
    for name, text in _bicep_files().items():
        for line in text.splitlines():
            if re.search(r"'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'", line):
                assert re.search(r"// \S", line), f"{name}: role id without a comment: {line.strip()}"


def test_no_secret_literal_in_infra_or_azd_files() -> None:
    paths = [*INFRA.rglob("*.bicep"), *INFRA.rglob("*.json"), REPO / "azure.yaml"]
    for path in paths:
        text = path.read_text(encoding="utf-8")
        for literal in SECRET_LITERALS:
            assert literal not in text, f"{path.name} contains {literal!r}"


def test_secret_parameters_are_secure_and_have_no_real_default() -> None:
    secret_params = 0
    for name, text in _bicep_files().items():
        for match in re.finditer(r"(?m)^param (\w+) (\w+)(?: = (.+))?$", _strip_comments(text)):
            param, _type, default = match.groups()
            if not SECRET_NAME.search(param):
                continue
            secret_params += 1
            assert "@secure()" in _decorators_of(text, param), f"{name}: param {param} must be @secure()"
            assert default in (None, "''"), f"{name}: secure param {param} has a default"
    assert secret_params >= 6


def test_parameters_file_holds_only_environment_references() -> None:
    parameters = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))["parameters"]
    main = _main()
    for name, entry in parameters.items():
        value = entry["value"]
        assert re.fullmatch(r"\$\{[A-Z][A-Z0-9_]*(=[^}]*)?\}", value), f"{name}: {value!r} is a literal"
        assert re.search(rf"(?m)^param {name} ", main), f"{name} is not a parameter of main.bicep"
        if SECRET_NAME.search(name):
            assert "=" not in value, f"{name}: a secret has no default"


def test_plan_default_and_choices_exist_in_azure_china() -> None:
    main = _main()
    default = _param_default(main, "planSku")
    allowed = _allowed_values(_bicep_files()["main.bicep"], "planSku")
    assert default in allowed
    assert set(allowed) == {"EP1", "EP2", "EP3", "P1v3", "P2v3", "S1"}
    for path in [*INFRA.rglob("*.bicep"), *INFRA.rglob("*.json")]:
        text = path.read_text(encoding="utf-8")
        for sku in NOT_IN_AZURE_CHINA:
            assert f"'{sku}'" not in text and f"={sku}}}" not in text, f"{path.name} mentions {sku}"
    parameters = (INFRA / "main.parameters.json").read_text(encoding="utf-8")
    sku_default = re.search(r"CSPGUARD_PLAN_SKU=(\w+)", parameters)
    assert sku_default and sku_default.group(1) in allowed


def test_storage_refuses_shared_keys_and_creates_every_table_and_queue() -> None:
    storage = _strip_comments(_bicep_files()["app/storage.bicep"])
    assert "allowSharedKeyAccess: false" in storage
    assert "allowBlobPublicAccess: false" in storage
    assert "minimumTlsVersion: 'TLS1_2'" in storage
    tables = _tuple_constant(REPO / "lib" / "store" / "tables.py", "TABLES")
    listed = re.search(r"var tableNames = \[(.*?)\]", storage, re.DOTALL)
    assert listed and set(re.findall(r"'(\w+)'", listed.group(1))) == set(tables)
    assert "name: '${tablePrefix}${table}'" in storage
    assert "'${serviceRequestsQueue}-poison'" in storage
    main = _main()
    assert _param_default(main, "tablePrefix") == "cspguard"
    assert _param_default(main, "serviceRequestsQueue") == "service-requests"


def test_enforcement_mode_defaults_to_shadow_everywhere() -> None:
    main = _main()
    assert _param_default(main, "enforcementMode") == "shadow"
    modes = _tuple_constant(REPO / "lib" / "settings.py", "ENFORCEMENT_MODES")
    assert set(_allowed_values(_bicep_files()["main.bicep"], "enforcementMode")) == set(modes)
    assert _object_keys(_bicep_code())["ENFORCEMENT_MODE"] == "enforcementMode"
    parameters = (INFRA / "main.parameters.json").read_text(encoding="utf-8")
    assert "${CSPGUARD_ENFORCEMENT_MODE=shadow}" in parameters
    assert _object_keys(_bicep_code())["ENFORCEMENT_PAUSED"] == "enforcementPaused ? 'true' : 'false'"


def test_easy_auth_is_optional_and_leaves_signature_routes_open() -> None:
    api = _strip_comments(_bicep_files()["app/api.bicep"])
    assert "= if (!empty(authClientId))" in api
    assert "name: 'authsettingsV2'" in api
    for path in ("'/api/health'", "'/api/openapi.json'", "'/api/webhooks/*'"):
        assert path in api
    assert "/${tenant().tenantId}/v2.0" in api


def test_alerts_match_what_the_code_logs() -> None:
    alerts = _strip_comments(_bicep_files()["app/alerts.bicep"])
    cap_message = re.search(r'CAP_MESSAGE = "([^"]+)"',
                            (REPO / "lib" / "services" / "delinquency_scan.py").read_text(encoding="utf-8"))
    assert cap_message and cap_message.group(1) == "blast-radius cap reached"
    assert f'contains "{cap_message.group(1)}"' in alerts
    assert 'contains "${poisonQueueName}"' in alerts
    service_requests = (REPO / "lib" / "services" / "service_requests.py").read_text(encoding="utf-8")
    # The poisoning is logged by the queues' one delivery rule as "<what> message poisoned: <reason>".
    assert 'deliver(' in service_requests and 'what="service request"' in service_requests
    assert 'contains "service request message poisoned"' in alerts
    assert "poisonQueueName: '${serviceRequestsQueue}-poison'" in _main()
    assert "dueCustomersPoisonQueueName: '${dueCustomersQueue}-poison'" in _main()
    queue_delivery = (REPO / "lib" / "services" / "queue_delivery.py").read_text(encoding="utf-8")
    assert 'log.error("%s message poisoned: %s", what, exc)' in queue_delivery
    assert 'contains "due-customers message poisoned"' in alerts
    assert "metricName: 'Http5xx'" in alerts
    for timer in ("delinquency_scan", "reconcile"):
        assert f"'{timer}'" in alerts
    assert "emailAddress: alertEmail" in alerts


def test_outputs_and_modules_are_wired() -> None:
    main = _main()
    for output in ("AZURE_FUNCTION_APP_URL", "AZURE_FUNCTION_IDENTITY_CLIENT_ID"):
        assert re.search(rf"(?m)^output {output} string = ", main)
    for module in re.findall(r"(?m)^module \w+ '([^']+)'", main):
        assert (INFRA / module).is_file(), f"main.bicep uses a missing module {module}"


def test_azure_yaml_describes_the_function_service() -> None:
    text = (REPO / "azure.yaml").read_text(encoding="utf-8")
    service = text.partition("services:")[2]
    assert re.search(r"(?m)^  api:$", service)
    for line in ("project: .", "language: python", "host: function"):
        assert re.search(rf"(?m)^    {re.escape(line)}$", service), line


def _bicep_command() -> list[str] | None:
    found = shutil.which("bicep")
    if found:
        return [found]
    installed_by_az = Path.home() / ".azure" / "bin" / "bicep"  # what `az bicep install` leaves; never downloaded here
    if shutil.which("az") and installed_by_az.is_file():
        return [str(installed_by_az)]
    return None


def test_bicep_build_has_no_warnings() -> None:
    command = _bicep_command()
    if command is None:
        pytest.skip("no Bicep CLI on PATH (bicep, or az with ~/.azure/bin/bicep); CI's bicep job builds infra/")
    result = subprocess.run(
        [*command, "build", str(INFRA / "main.bicep"), "--stdout"],
        capture_output=True, text=True, timeout=240, check=False,
    )
    assert result.returncode == 0, result.stderr
    diagnostics = [line for line in result.stderr.splitlines() if re.search(r"\b(Warning|Error)\b", line)]
    assert not diagnostics, "\n".join(diagnostics)
