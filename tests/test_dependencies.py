"""Everything the application imports at run time is a run-time dependency, not only a test
one: `make demo` installs the base dependencies alone (the worker once crashed on httpx)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from tests.fakes import ROOT


def imported_top_level_modules() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "hashrally").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"hashrally", "__future__"}


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_it_declares_every_imported_package_as_a_base_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    base = {normalised(re.split(r"[<>=!\[ ;]", d, maxsplit=1)[0]) for d in project["dependencies"]}
    distributions = packages_distributions()
    missing = {}
    for module in sorted(imported_top_level_modules()):
        names = {normalised(d) for d in distributions.get(module, [])}
        # Packages that come with a base dependency (Django brings asgiref, django-stubs only
        # type-checks) are fine when one of their distributions is listed.
        if not names & base:
            missing[module] = sorted(names)
    assert missing == {}, f"imported by hashrally/ but not in [project] dependencies: {missing}"
