from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings
from django_otp import match_token


@pytest.mark.django_db
def test_it_creates_the_login_once_and_prints_it_again(tmp_path: Path) -> None:
    with override_settings(VAR_DIR=tmp_path):
        first, second = StringIO(), StringIO()
        call_command("demo_organiser", stdout=first)
        call_command("demo_organiser", stdout=second)
    assert first.getvalue() == second.getvalue()
    password = first.getvalue().split(" / ")[1].split()[0]
    user = get_user_model().objects.get(username="organiser")
    assert user.check_password(password) and user.is_staff
    assert get_user_model().objects.count() == 1
    assert (tmp_path / "organiser-password").stat().st_mode & 0o077 == 0
    # The second factor: one-time codes the demo's login takes (django-otp's static tokens).
    codes = first.getvalue().split("(each works once): ")[1].split()
    assert len(codes) == 10
    assert match_token(user, codes[0]) is not None
    assert match_token(user, codes[0]) is None  # used once, gone
