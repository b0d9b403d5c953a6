"""Function route templates, and the order in which the Functions host tries them.

A template matches the way ASP.NET Core routing matches one (literals case-insensitively, constraints, optional
and catch-all parameters). But the host does not rank templates by specificity: it tries the functions in the
order of their names, case-insensitively, and the first template and method that match win (azure-functions-host
issues 9876 and 3153; the ASP.NET-style ranking of azure-webjobs-sdk-extensions PR 842 was never merged). So
`items/{id}` on a function named `details` shadows `items/list` on a function named `list`. This module copies
that order, and finds the paths where two functions overlap, so a test can forbid them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar
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

    def accepts(self, part: str) -> bool:
        """Whether this segment can take `part` (a literal, or a parameter whose constraint allows it)."""
        if self.literal is not None:
            return part.lower() == self.literal.lower()
        pattern = _CONSTRAINTS.get(self.constraint or "")
        return pattern is None or bool(pattern.match(part))


@dataclass(frozen=True)
class RouteTemplate:
    template: str
    segments: tuple[Segment, ...]

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
            if not segment.accepts(part):
                return None
            if segment.literal is None:
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


# One value each constraint accepts, besides a plain word: every parameter gets at least one sample.
_SAMPLE_VALUES = ("sample-1", "12", "abc", "true", "3f2504e0-4f89-41d3-9a0c-0305e82c3301")


class Routed(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def route(self) -> RouteTemplate: ...

    @property
    def methods(self) -> frozenset[str]: ...


R = TypeVar("R", bound=Routed)


def host_order(functions: Iterable[R]) -> list[R]:
    """The functions in the order the host tries them: by name, ignoring case (.NET's OrdinalIgnoreCase compares
    upper-cased characters, so `_` sorts after letters)."""
    return sorted(functions, key=lambda f: f.name.upper())


def first_match(functions: Iterable[R], method: str, path: str) -> tuple[R, dict[str, str]] | None:
    """The function the Functions host would invoke for `method path` (path below the route prefix), if any."""
    for function in host_order(functions):
        if method.upper() not in function.methods:
            continue
        params = function.route.match(path)
        if params is not None:
            return function, params
    return None


def sample_paths(template: RouteTemplate, vocabulary: Iterable[str] = ()) -> list[str]:
    """Concrete paths the template matches: each parameter filled with a plain value and with every word of
    `vocabulary` it accepts (other templates' literals, so that overlaps between templates show up)."""
    words = [*_SAMPLE_VALUES, *vocabulary]
    choices: list[list[str]] = []
    for segment in template.segments:
        if segment.literal is not None:
            choices.append([segment.literal])
        elif segment.catch_all:
            choices.append(["", "a/b", *words])
        else:
            options = [w for w in dict.fromkeys(words) if w and segment.accepts(w)]
            choices.append(([""] if segment.optional else []) + options)
    paths: list[str] = []
    for combination in itertools.islice(itertools.product(*choices), 5000):
        paths.append("/" + "/".join(part for part in combination if part))
    return paths


def route_conflicts(functions: Sequence[Routed]) -> list[str]:
    """Every way the registrations break "one function per method and path": a concrete path two functions can
    answer, or a function that cannot be reached at its own route because another comes first in host order.
    Empty when every path has at most one function and each function answers its own samples."""
    vocabulary = sorted({s.literal for f in functions for s in f.route.segments if s.literal is not None})
    problems: list[str] = []
    for function in functions:
        samples = sample_paths(function.route, vocabulary)
        if not samples:
            problems.append(f"{function.name} ({function.route.template}): no path can reach it")
        for path in samples:
            if function.route.match(path) is None:
                continue  # e.g. a catch-all sample the template does not take
            for method in sorted(function.methods):
                answering = [f.name for f in host_order(functions)
                             if method in f.methods and f.route.match(path) is not None]
                if len(answering) > 1:
                    problems.append(f"{method} /{path.lstrip('/')}: answerable by {', '.join(answering)}")
                winner = first_match(functions, method, path)
                if winner is not None and winner[0].name != function.name:
                    problems.append(f"{function.name} ({method} {function.route.template}) is unreachable at "
                                    f"/{path.lstrip('/')}: {winner[0].name} comes first")
    return list(dict.fromkeys(problems))
