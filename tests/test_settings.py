from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from hashrally.env import env_bool, env_int, env_list, env_str


def run_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("HASHRALLY_", "DATABASE_URL"))
    }
    # An empty var/ unless the test gives one: `make demo` may have written keys into the
    # checkout's own.
    empty = tempfile.mkdtemp()
    return subprocess.run(
        [sys.executable, "-c", "import django; from django.conf import settings; settings.DEBUG"],
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "hashrally.settings",
            "HASHRALLY_VAR_DIR": empty,
            **env,
        },
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


PRODUCTION = {
    "HASHRALLY_SECRET_KEY": "k" * 20 + "-production-secret-key-of-some-length-50",
    "HASHRALLY_DATA_KEYS": "ZGV2ZWxvcG1lbnQta2V5LW5vdC1mb3ItcHJvZC11c2U=",
    "HASHRALLY_SITE_URL": "https://campaign.example.org",
    "HASHRALLY_ALLOWED_HOSTS": "campaign.example.org",
}


def test_it_passes_djangos_deployment_check_in_production_mode(tmp_path: object) -> None:
    clean = {
        k: v
        for k, v in os.environ.items()
        # The browser tests' async allowance is for tests only (async.E001 in deployment).
        if not k.startswith(("HASHRALLY_", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"))
    }
    result = subprocess.run(
        [sys.executable, "-m", "hashrally", "check", "--deploy", "--fail-level", "WARNING"],
        env={**clean, **PRODUCTION, "HASHRALLY_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_sends_https_and_framing_headers_in_production_mode() -> None:
    code = (
        "import django; django.setup(); from django.test import Client; "
        "c = Client(); r = c.get('/no-such-page', secure=True, HTTP_HOST='campaign.example.org'); "
        "print(r.status_code, r['Strict-Transport-Security'], r['X-Frame-Options'], "
        "r['Content-Security-Policy'], sep='|'); "
        "r = c.get('/no-such-page', HTTP_HOST='campaign.example.org'); "
        "print(r.status_code, r['Location'])"
    )
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("HASHRALLY_", "DATABASE_URL"))
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={
            **clean,
            **PRODUCTION,
            "DJANGO_SETTINGS_MODULE": "hashrally.settings",
            "DATABASE_URL": "sqlite:///:memory:",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    secure, plain = result.stdout.splitlines()
    status, hsts, frames, policy = secure.split("|")
    assert status == "404"  # no such page, answered with every header
    assert hsts.startswith("max-age=31536000") and frames == "DENY"
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert plain == "301 https://campaign.example.org/no-such-page"


def test_it_finds_the_demos_keys_in_var_except_in_production(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("s" * 48 + "\n")
    (tmp_path / "data_key").write_text("ZGV2ZWxvcG1lbnQta2V5LW5vdC1mb3ItcHJvZC11c2U=\n")
    found = run_settings({"HASHRALLY_VAR_DIR": str(tmp_path)})
    assert found.returncode == 0, found.stderr
    production = run_settings(
        {"HASHRALLY_VAR_DIR": str(tmp_path), "HASHRALLY_SITE_URL": "https://campaign.example.org"}
    )
    assert production.returncode != 0 and "HASHRALLY_SECRET_KEY must be set" in production.stderr


def test_it_names_a_configuration_problem_in_one_line(tmp_path: Path) -> None:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("HASHRALLY_", "DATABASE_URL"))
    }
    result = subprocess.run(
        [sys.executable, "-m", "hashrally", "check"],
        env={**clean, "HASHRALLY_VAR_DIR": str(tmp_path), "HASHRALLY_SECRET_KEY": "short"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("hashrally: HASHRALLY_SECRET_KEY must be at least 32")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
