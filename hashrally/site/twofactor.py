"""Organisers' second factor (django-otp): an authenticator app's codes (TOTP) and one-time
recovery codes. Set up by an operator with `hashrally two_factor USERNAME`; the admin's login
asks for a code from either."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import segno
from django.db import transaction
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODES = 10


@dataclass(frozen=True)
class Enrolment:
    uri: str  # otpauth:// address an authenticator app reads (from the QR code)
    recovery_codes: list[str]  # each works once; shown this once only

    def qr_text(self) -> str:
        """The address as a QR code drawn in text, for a terminal."""
        lines: list[str] = []
        for row in segno.make(self.uri, error="m").matrix_iter(border=2):
            lines.append("".join("██" if dark else "  " for dark in row))
        return "\n".join(lines)


def enrol(user: Any) -> Enrolment:
    """A new authenticator secret and new recovery codes for `user`, replacing any before (a
    lost phone, or codes that were seen)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        totp = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        static = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
    return Enrolment(uri=totp.config_url, recovery_codes=codes)


def unused_recovery_codes(user: Any) -> list[str]:
    return list(
        StaticToken.objects.filter(device__user=user, device__name="recovery codes")
        .order_by("id")
        .values_list("token", flat=True)
    )


class OrganiserLoginForm(OTPAdminAuthenticationForm):
    """The admin's login: username, password and a code. The code's shape says which device
    it is for (six digits: the authenticator app; otherwise a recovery code), so nobody has to
    pick a device first (django-otp 1.6 and later ask for one)."""

    def _chosen_device(self, user: Any) -> Any:
        device = super()._chosen_device(user)
        if device is None:
            token = str(self.cleaned_data.get("otp_token") or "").strip()
            model = TOTPDevice if token.isascii() and token.isdigit() else StaticDevice
            device = model.objects.filter(user=user, confirmed=True).first()
        return device


class OrganiserAdminSite(OTPAdminSite):
    """Every admin page needs both factors: every organiser can export personal data."""

    login_form = OrganiserLoginForm
