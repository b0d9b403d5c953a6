"""What the Functions app checks and sets up when the worker imports it: settings, logging, the policy.

A bad setting or a policy file that does not validate stops start-up with one line naming the problem, so a broken
deployment shows in the host's start-up log instead of at the first webhook or scan.
"""

from __future__ import annotations

from lib.domain.policy_file import PolicyError, load_policy
from lib.settings import Settings, SettingsError, get_settings
from lib.structured_logging import configure_function_logging


class AppStartupError(RuntimeError):
    """The app must not start; the message is one line naming the setting or the policy problem."""


def start_app() -> Settings:
    try:
        settings = get_settings()
    except SettingsError as exc:
        raise AppStartupError(f"setting {exc}") from None
    configure_function_logging(settings.secret_values())
    try:
        load_policy(settings.collections_policy)
    except PolicyError as exc:
        raise AppStartupError(policy_problem(exc)) from None
    return settings


def policy_problem(exc: PolicyError) -> str:
    """One line for a policy that cannot be used: its first problem (file:line: field: message), and how many more."""
    lines = str(exc).splitlines() or [exc.source]
    more = f" (and {len(lines) - 1} more problem{'s' if len(lines) > 2 else ''})" if len(lines) > 1 else ""
    return f"policy {lines[0]}{more}"
