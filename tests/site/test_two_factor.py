"""Organisers log in with a password and a one-time code; a password alone opens nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from hashrally.campaigns.models import Campaign
from tests.supporters.fakes import SLUG

pytestmark = pytest.mark.django_db


@pytest.fixture
def organiser(campaigns: list[str]) -> User:
    user = User.objects.create_user("org", password="a-long-password-9", is_staff=True)
    Campaign.objects.get(slug=SLUG).organisers.add(user)
    return user


def log_in(client: Client, code: str) -> int:
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "org", "password": "a-long-password-9", "otp_token": code},
    )
    return response.status_code


def current_code(user: User) -> str:
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(totp.token()).zfill(device.digits)


def test_it_sets_up_an_authenticator_and_recovery_codes(organiser: User) -> None:
    out = StringIO()
    call_command("two_factor", "org", stdout=out)
    printed = out.getvalue()
    assert "otpauth://totp/" in printed and "██" in printed
    codes = printed.split("safe):")[1].split()
    assert len(codes) == 10
    # The code from the app logs in.
    client = Client()
    assert log_in(client, current_code(organiser)) == 302
    assert client.get(f"/c/{SLUG}/dashboard").status_code == 200
    # A recovery code, once.
    assert log_in(Client(), codes[0]) == 302
    assert log_in(Client(), codes[0]) == 200  # the form again: already used


def test_it_opens_nothing_with_a_password_alone(organiser: User) -> None:
    call_command("two_factor", "org", stdout=StringIO())
    client = Client()
    assert log_in(client, "") == 200
    assert log_in(client, "123456") == 200 or current_code(organiser) == "123456"
    # Even a session that passed the password only (as force_login makes) reads nothing.
    client.force_login(organiser)
    assert client.get("/admin/").status_code == 302
    dashboard = client.get(f"/c/{SLUG}/dashboard")
    assert dashboard.status_code == 302 and "/admin/login/" in dashboard["Location"]
    assert client.get("/admin/supporters/supporter/").status_code == 302
