"""The deployment files in deploy/ and the settings table of docs/operations.md say only
what is true: each command a unit runs exists, each variable the example environment sets is
read by hashrally, and each variable hashrally reads is documented."""

from __future__ import annotations

import re

from django.core.management import get_commands

from tests.fakes import ROOT

DEPLOY = ROOT / "deploy"


def variables_read() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "hashrally").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r"""["'](HASHRALLY_[A-Z0-9_]+)["']""", text))
    return found


def test_each_unit_runs_a_real_command() -> None:
    commands = set(get_commands())
    units = list((DEPLOY / "systemd").glob("*.service"))
    assert len(units) >= 3
    for unit in units:
        for line in unit.read_text().splitlines():
            for command in re.findall(r"\.venv/bin/hashrally (\w+)", line):
                assert command in commands, (unit.name, command)


def test_the_example_environment_sets_only_what_is_read() -> None:
    read = variables_read() | {"DATABASE_URL"}
    for line in (DEPLOY / "systemd" / "env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name = line.split("=", 1)[0]
            assert name in read, name


def test_every_variable_read_is_documented() -> None:
    documented = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")

    def said(name: str) -> bool:
        # The table writes families once: `HASHRALLY_SMTP_HOST`, `_PORT`, `_USER`.
        parts = name.split("_")
        short = ["_" + "_".join(parts[i:]) for i in (1, 2) if len(parts) > i]
        return f"`{name}" in documented or any(f"`{form}`" in documented for form in short)

    missing = sorted(name for name in variables_read() if not said(name))
    assert missing == []
