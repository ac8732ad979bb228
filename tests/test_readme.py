"""Every command the README shows works right after `make demo`'s set-up, in the same checkout,
without exporting anything (the demo's keys in var/ are found)."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from tests.fakes import ROOT

HASHRALLY = ROOT / ".venv" / "bin" / "hashrally"


def readme_commands() -> list[str]:
    """The `.venv/bin/hashrally …` lines of the README's code blocks, comments cut."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    lines = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith(".venv/bin/hashrally ")]


def test_it_runs_every_readme_command_after_the_demos_set_up(tmp_path: Path) -> None:
    commands = readme_commands()
    assert len(commands) >= 4
    var = tmp_path / "var"
    var.mkdir()
    # What `make demo` writes before it serves (Makefile: var/secret_key, var/data_key).
    (var / "secret_key").write_text(secrets.token_urlsafe(48) + "\n")
    (var / "data_key").write_text(Fernet.generate_key().decode() + "\n")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HASHRALLY_", "DATABASE_URL", "DJANGO_"))
    }
    env["HASHRALLY_VAR_DIR"] = str(var)
    interpreter = str(Path(sys.executable).parent / "hashrally")
    hashrally = str(HASHRALLY) if HASHRALLY.exists() else interpreter
    setup = [
        f"{hashrally} migrate --noinput",
        f"{hashrally} campaign load --skip-existing examples/*.toml",
        f"{hashrally} demo_organiser",
    ]
    readme = [
        c.replace(".venv/bin/hashrally", hashrally).replace("> out.toml", f"> {tmp_path}/out.toml")
        for c in commands
    ]
    for command in [*setup, *readme]:
        # A shell, as the README's reader uses one (globs, redirection); the commands are the
        # README's own.
        result = subprocess.run(  # noqa: S602
            command, shell=True, cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, (command, result.stderr[-2000:])
        assert "Traceback" not in result.stderr and "Warning" not in result.stderr, (
            command,
            result.stderr[-2000:],
        )
    assert "recognize-to-reconcile" in (tmp_path / "out.toml").read_text(encoding="utf-8")
