"""functions/ are thin triggers: they reach storage only through services (DESIGN.md, Layout)."""

import ast
from pathlib import Path

import pytest

from lib.settings import APP_ROOT

FUNCTION_MODULES = sorted((APP_ROOT / "functions").glob("*.py"))


def imported_modules(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def store_imports(source: str) -> list[str]:
    return sorted(name for name in imported_modules(source) if name == "lib.store" or name.startswith("lib.store."))


def test_every_function_module_is_checked():
    assert {p.name for p in FUNCTION_MODULES} >= {"health.py", "webhooks.py", "customers.py", "scans.py"}


@pytest.mark.parametrize("module", FUNCTION_MODULES, ids=lambda p: p.name)
def test_function_modules_do_not_import_the_store(module: Path):
    assert store_imports(module.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("source", [
    "from lib.store.leases import LeaseHeld",
    "import lib.store.cases",
    "from lib import store",
    "from lib.store import tables as t",
    "def f():\n    from lib.store.cases import CASE_STATUSES\n",
])
def test_the_check_catches_every_form_of_store_import(source):
    assert store_imports(source)
