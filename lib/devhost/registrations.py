"""Reads what `function_app.app.get_functions()` registered: HTTP routes, timers, queue triggers."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lib.devhost.routes import RouteTemplate, parse_template

_SETTING_REF = re.compile(r"^%([A-Za-z0-9_]+)%$")


class RegistrationError(ValueError):
    pass


@dataclass(frozen=True)
class HttpFunction:
    name: str
    route: RouteTemplate
    methods: frozenset[str]
    auth_level: str  # anonymous | function | admin
    arg_name: str
    handler: Callable[..., Any]


@dataclass(frozen=True)
class TimerFunction:
    name: str
    schedule: str
    run_on_startup: bool
    arg_name: str
    handler: Callable[..., Any]


@dataclass(frozen=True)
class QueueFunction:
    name: str
    queue_name: str
    connection: str
    arg_name: str
    handler: Callable[..., Any]


@dataclass(frozen=True)
class Registrations:
    http: tuple[HttpFunction, ...]
    timers: tuple[TimerFunction, ...]
    queues: tuple[QueueFunction, ...]


def resolve_setting(value: str, defaults: Mapping[str, str]) -> str:
    """`%NAME%` is an app setting reference, as in function.json; resolved from the environment first."""
    found = _SETTING_REF.match(value)
    if not found:
        return value
    name = found.group(1)
    resolved = os.environ.get(name) or defaults.get(name)
    if not resolved:
        raise RegistrationError(f"{name}: referenced as %{name}% by a trigger but not set")
    return resolved


def read_registrations(functions: list[Any], defaults: Mapping[str, str]) -> Registrations:
    http: list[HttpFunction] = []
    timers: list[TimerFunction] = []
    queues: list[QueueFunction] = []
    for function in functions:
        trigger = function.get_trigger()
        spec = _plain(trigger.get_dict_repr())
        name = function.get_function_name()
        handler = function.get_user_function()
        kind = spec.get("type")
        if kind == "httpTrigger":
            methods = frozenset(m.upper() for m in (spec.get("methods") or
                                                    ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]))
            http.append(HttpFunction(name, parse_template(spec.get("route") or name), methods,
                                     str(spec.get("authLevel") or "function").lower(), spec["name"], handler))
        elif kind == "timerTrigger":
            timers.append(TimerFunction(name, resolve_setting(spec["schedule"], defaults),
                                        bool(spec.get("runOnStartup")), spec["name"], handler))
        elif kind == "queueTrigger":
            queues.append(QueueFunction(name, resolve_setting(spec["queueName"], defaults),
                                        spec.get("connection") or "AzureWebJobsStorage", spec["name"], handler))
        else:
            raise RegistrationError(f"{name}: trigger type {kind!r} is not hosted by the development host")
    return Registrations(tuple(http), tuple(timers), tuple(queues))


def _plain(spec: Mapping[str, Any]) -> dict[str, Any]:
    # The library hands back enums (HttpMethod.GET, AuthLevel.FUNCTION); keep their wire values.
    def value(v: Any) -> Any:
        if isinstance(v, list):
            return [value(x) for x in v]
        return getattr(v, "value", v)

    return {k: value(v) for k, v in spec.items()}
