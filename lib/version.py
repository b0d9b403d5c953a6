"""The running csp-guard version, from the installed distribution or the source tree."""

from __future__ import annotations

from importlib import metadata


def version() -> str:
    try:
        return metadata.version("csp-guard")
    except metadata.PackageNotFoundError:
        return "0.1.0+source"
