from __future__ import annotations

import os
import subprocess
import sys

import pytest

from hashrally.env import env_bool, env_int, env_list, env_str


def run_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("HASHRALLY_", "DATABASE_URL"))
    }
    return subprocess.run(
        [sys.executable, "-c", "import django; from django.conf import settings; settings.DEBUG"],
        env={**clean, "DJANGO_SETTINGS_MODULE": "hashrally.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_it_refuses_to_start_in_production_without_a_secret_key() -> None:
    result = run_settings({})
    assert result.returncode != 0
    assert "HASHRALLY_SECRET_KEY must be set" in result.stderr


def test_it_refuses_a_short_secret_key() -> None:
    result = run_settings({"HASHRALLY_SECRET_KEY": "short"})
    assert "at least 32 characters" in result.stderr


def test_it_starts_in_debug_mode_without_a_secret_key() -> None:
    assert run_settings({"HASHRALLY_DEBUG": "1"}).returncode == 0


def test_it_names_a_malformed_boolean(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("HASHRALLY_X", "perhaps")
    with pytest.raises(ImproperlyConfigured, match="HASHRALLY_X"):
        env_bool("HASHRALLY_X", False)
    monkeypatch.setenv("HASHRALLY_N", "ten")
    with pytest.raises(ImproperlyConfigured, match="HASHRALLY_N"):
        env_int("HASHRALLY_N", 1)


def test_it_reads_typed_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HASHRALLY_HOSTS", "a.example, b.example,")
    assert env_list("HASHRALLY_HOSTS", []) == ["a.example", "b.example"]
    monkeypatch.setenv("HASHRALLY_ON", "yes")
    assert env_bool("HASHRALLY_ON", False) is True
    assert env_str("HASHRALLY_UNSET_THING", "fallback") == "fallback"


@pytest.mark.parametrize(
    ("url", "engine"),
    [
        ("sqlite:////tmp/elsewhere.sqlite3", "django.db.backends.sqlite3 /tmp/elsewhere.sqlite3"),
        ("postgresql://postgres@127.0.0.1:5432/test", "django.db.backends.postgresql test"),
    ],
)
def test_it_takes_the_database_from_database_url(url: str, engine: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; d = settings.DATABASES['default'];"
            "print(d['ENGINE'], d['NAME'])",
        ],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == engine
