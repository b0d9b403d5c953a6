"""How the sandbox delivers a Partner Center webhook event, as partner-center-webhooks documents: the event JSON
(`EventName`, `ResourceUri`, `ResourceName`, `AuditUri`, `ResourceChangeUtcDate`) POSTed to the callback, signed
RSA-SHA256 over the exact body, the signature as `Signature <base64>` in `Authorization` (the default) or, for a
registration with SignatureTokenToMsSignatureHeader, in `x-ms-signature`, with `X-MS-Certificate-Url` and
`X-MS-Signature-Algorithm: rsa-sha256`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests

from lib.partner_center.sandbox.state import now_iso

if TYPE_CHECKING:
    from lib.partner_center.sandbox.server import SandboxServer


@dataclass(frozen=True)
class Delivery:
    url: str
    event_name: str
    resource_uri: str = ""
    resource_name: str = ""
    in_ms_signature_header: bool = False
    self_signed: bool = False  # signed with a certificate no CA issued
    certificate_url: str | None = None
    tamper: bool = False  # the body changed after signing
    headers: Mapping[str, str] = field(default_factory=dict)


def deliver(server: SandboxServer, delivery: Delivery) -> dict[str, Any]:
    """POSTs the signed event; returns the callback's status and body, and the event sent."""
    identity = server.self_signed if delivery.self_signed else server.identity
    event = {"EventName": delivery.event_name, "ResourceUri": delivery.resource_uri,
             "ResourceName": delivery.resource_name, "AuditUri": None, "ResourceChangeUtcDate": now_iso()}
    raw = json.dumps(event).encode("utf-8")
    signature = identity.sign(raw)
    if delivery.tamper:
        raw = raw.replace(b"}", b', "tampered": true}', 1)
    cert_url = delivery.certificate_url or \
        f"{server.url}/_sandbox/cert/{'self-signed' if delivery.self_signed else 'sandbox'}.cer"
    signature_header = {"x-ms-signature" if delivery.in_ms_signature_header else "Authorization":
                        f"Signature {signature}"}
    headers = {"Content-Type": "application/json", **signature_header, "X-MS-Certificate-Url": cert_url,
               "X-MS-Signature-Algorithm": "rsa-sha256", **delivery.headers}
    response = requests.post(delivery.url, data=raw, headers=headers, timeout=60)
    try:
        answer: Any = response.json()
    except ValueError:
        answer = response.text
    return {"status": response.status_code, "body": answer, "event": event}
