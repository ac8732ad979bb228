"""Signed links sent by email: confirm support, and reach one's own data."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from django.conf import settings
from django.core import signing
from django.urls import reverse

from hashrally.supporters.models import Supporter

CONFIRM = "hashrally.confirm"
MY_DATA = "hashrally.my-data"
MY_DATA_AGE = dt.timedelta(days=2)
# The data link inside the confirmation mail lives as long as the confirmation link beside it.
MY_DATA_LONG = "hashrally.my-data-long"


def site_url() -> str:
    return settings.SITE_URL or "http://127.0.0.1:8000"


def make_token(supporter: Supporter, purpose: str) -> str:
    return signing.dumps(str(supporter.public_id), salt=purpose, compress=True)


def read_token(token: str, purpose: str, max_age: dt.timedelta) -> Supporter | None:
    try:
        public_id = UUID(signing.loads(token, salt=purpose, max_age=max_age))
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return Supporter.objects.select_related("campaign").filter(public_id=public_id).first()


def confirm_url(supporter: Supporter) -> str:
    token = make_token(supporter, CONFIRM)
    return site_url() + reverse("supporters:confirm", args=[supporter.campaign.slug, token])


def my_data_url(supporter: Supporter, purpose: str = MY_DATA) -> str:
    return site_url() + reverse("supporters:my_data", args=[make_token(supporter, purpose)])


def read_my_data_token(token: str) -> Supporter | None:
    return read_token(token, MY_DATA, MY_DATA_AGE) or read_token(
        token, MY_DATA_LONG, confirm_max_age()
    )


def confirm_max_age() -> dt.timedelta:
    return dt.timedelta(days=settings.HASHRALLY_CONFIRM_DAYS)
