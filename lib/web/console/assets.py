"""The console's static files under fingerprinted names, so a browser may cache each one for a year.

A file's URL carries the first 12 hex digits of its SHA-256 (`console.3f2a…css`); a changed file gets a new URL,
so `Cache-Control: immutable` is safe. The hash is also the ETag, for a revalidating client.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

STATIC_DIR = Path(__file__).with_name("static")
URL_PREFIX = "/api/console/static/"
CACHE_FOREVER = "public, max-age=31536000, immutable"
_TYPES = {".css": "text/css", ".js": "text/javascript", ".png": "image/png", ".svg": "image/svg+xml",
          ".txt": "text/plain"}


@dataclass(frozen=True)
class Asset:
    source: str  # the file's own name, as templates ask for it
    served_as: str  # the fingerprinted name in the URL
    digest: str
    content_type: str
    body: bytes

    @property
    def url(self) -> str:
        return URL_PREFIX + self.served_as

    @property
    def etag(self) -> str:
        return f'"{self.digest}"'


@cache
def assets() -> dict[str, Asset]:
    """Every served file, by fingerprinted name (read once per process)."""
    found: dict[str, Asset] = {}
    for path in sorted(STATIC_DIR.iterdir()):
        if not path.is_file() or path.suffix not in _TYPES:
            continue
        body = path.read_bytes()
        digest = hashlib.sha256(body).hexdigest()[:12]
        served_as = f"{path.stem}.{digest}{path.suffix}"
        found[served_as] = Asset(path.name, served_as, digest, _TYPES[path.suffix], body)
    return found


@cache
def asset_url(source: str) -> str:
    for asset in assets().values():
        if asset.source == source:
            return asset.url
    raise KeyError(f"no console asset {source!r} in {STATIC_DIR}")
