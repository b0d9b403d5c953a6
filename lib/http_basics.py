"""Two small HTTP facts several adapters need: case-insensitive header lookup, and whether a host is loopback
(plain http and static tokens are allowed only there, i.e. for the local sandbox)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit


def header(headers: Mapping[str, str], name: str) -> str | None:
    """HTTP header names are case-insensitive."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str) -> bool:
    """True for http(s) URLs whose host is localhost, 127.0.0.0/8 or ::1."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and is_loopback_host(host)
