"""Organisers' logins lock after repeated failures, per account and per address, across the
processes of a production server (gunicorn with two workers on one database)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.contrib.auth.models import User

from hashrally.site import twofactor
from tests.fakes import gunicorn

LOGIN = "/admin/login/"


@pytest.fixture
def server(transactional_db: None, tmp_path: Path) -> Iterator[str]:
    for name, password in (("organiser", "the-right-password-1"), ("other", "right-password-2")):
        twofactor.enrol(User.objects.create_superuser(name, password=password))
    env = {
        "HASHRALLY_LOGIN_FAILURES": "5",
        "HASHRALLY_LOCKOUT_MINUTES": "30",
        # As behind a proxy: the tests say which address each attempt comes from.
        "HASHRALLY_CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR",
    }
    with gunicorn(tmp_path, env, workers=2) as base:
        yield base


def code_of(username: str) -> str:
    """A recovery code of the account, as the organiser would type it beside the password."""
    return twofactor.unused_recovery_codes(User.objects.get(username=username))[0]


def attempt(base: str, username: str, password: str, address: str = "") -> httpx.Response:
    """One login from a new connection (so attempts spread over the worker processes), with
    the account's one-time code when it has one."""
    known = User.objects.filter(username=username).exists()
    headers = {"Connection": "close", "X-Forwarded-For": address or "192.0.2.1"}
    form = httpx.get(base + LOGIN, headers=headers)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    assert token, form.text[:500]
    return httpx.post(
        base + LOGIN,
        data={
            "csrfmiddlewaretoken": token.group(1),
            "username": username,
            "password": password,
            "otp_token": code_of(username) if known else "000000",
            "next": "/admin/",
        },
        cookies=dict(form.cookies),
        headers=headers,
    )


def test_it_locks_an_account_after_five_failures_across_processes(server: str) -> None:
    assert attempt(server, "other", "right-password-2").status_code == 302
    # Five failures from five addresses: the account is locked, whoever tries next.
    failures = [
        attempt(server, "organiser", f"wrong-{n}", f"198.51.100.{n}").status_code for n in range(5)
    ]
    assert failures[:4] == [200] * 4  # the form again, with its error
    locked = attempt(server, "organiser", "the-right-password-1", "203.0.113.9")
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.text and locked.headers["Retry-After"] == "1800"
    assert "sessionid" not in locked.cookies


def test_it_locks_an_address_trying_many_accounts(server: str) -> None:
    for n in range(5):
        attempt(server, f"guess-{n}", "password", "198.51.100.7")
    # The address is locked, even for an account that never failed and the right password;
    # from elsewhere that account logs in.
    assert attempt(server, "other", "right-password-2", "198.51.100.7").status_code == 429
    ok = attempt(server, "other", "right-password-2", "203.0.113.9")
    assert ok.status_code == 302, re.findall(r"errornote[^<]*<[^>]*>[^<]*|<li>[^<]*</li>", ok.text)
