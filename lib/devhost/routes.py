"""Function route templates matched the way the Functions host (ASP.NET Core routing) matches them.

Precedence per segment: a literal beats a parameter, a parameter beats a catch-all, so `customers/{id}/suspend`
wins over `customers/{id}/{action}`, and `{*path}` only takes what no other route matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

_PARAM = re.compile(r"^\{(?P<star>\*)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<constraint>[a-z]+))?(?P<opt>\?)?\}$")
_CONSTRAINTS = {
    "int": re.compile(r"^-?\d+$"),
    "long": re.compile(r"^-?\d+$"),
    "guid": re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"),
    "alpha": re.compile(r"^[A-Za-z]+$"),
    "bool": re.compile(r"^(?i:true|false)$"),
}


class RouteTemplateError(ValueError):
    pass


@dataclass(frozen=True)
class Segment:
    literal: str | None = None
    name: str | None = None
    constraint: str | None = None
    optional: bool = False
    catch_all: bool = False

    @property
    def rank(self) -> int:
        return 0 if self.literal is not None else (2 if self.catch_all else 1)


@dataclass(frozen=True)
class RouteTemplate:
    template: str
    segments: tuple[Segment, ...]

    @property
    def precedence(self) -> tuple[int, ...]:
        return tuple(segment.rank for segment in self.segments)

    def match(self, path: str) -> dict[str, str] | None:
        parts = [unquote(p) for p in path.strip("/").split("/")] if path.strip("/") else []
        params: dict[str, str] = {}
        for index, segment in enumerate(self.segments):
            if segment.catch_all:
                rest = "/".join(parts[index:])
                if segment.name:
                    params[segment.name] = rest
                return params
            if index >= len(parts):
                if segment.optional and all(s.optional or s.catch_all for s in self.segments[index:]):
                    return params
                return None
            part = parts[index]
            if segment.literal is not None:
                if part.lower() != segment.literal.lower():
                    return None
                continue
            pattern = _CONSTRAINTS.get(segment.constraint or "")
            if pattern is not None and not pattern.match(part):
                return None
            params[segment.name or ""] = part
        return params if len(parts) == len(self.segments) else None


def parse_template(template: str) -> RouteTemplate:
    segments: list[Segment] = []
    raw_segments = [s for s in template.strip("/").split("/") if s] if template.strip("/") else []
    for index, raw in enumerate(raw_segments):
        if "{" not in raw and "}" not in raw:
            segments.append(Segment(literal=raw))
            continue
        found = _PARAM.match(raw)
        if not found:
            raise RouteTemplateError(f"route {template!r}: segment {raw!r} is not a literal or one {{parameter}}")
        constraint = found.group("constraint")
        if constraint and constraint not in _CONSTRAINTS:
            raise RouteTemplateError(f"route {template!r}: unsupported constraint {constraint!r}")
        catch_all = bool(found.group("star"))
        if catch_all and index != len(raw_segments) - 1:
            raise RouteTemplateError(f"route {template!r}: a catch-all must be the last segment")
        segments.append(Segment(name=found.group("name"), constraint=constraint,
                                optional=bool(found.group("opt")), catch_all=catch_all))
    return RouteTemplate(template, tuple(segments))


def best_match(templates: list[RouteTemplate], path: str) -> tuple[RouteTemplate, dict[str, str]] | None:
    """The most specific template that matches, by per-segment precedence."""
    matches = [(t, params) for t in templates if (params := t.match(path)) is not None]
    if not matches:
        return None
    return min(matches, key=lambda pair: pair[0].precedence)
