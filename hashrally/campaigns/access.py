"""Which campaigns a staff member may see and manage: all for superusers, else those given;
none before the second factor of the login."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from hashrally.campaigns.models import Campaign


def verified(user: Any) -> bool:
    """Logged in with both factors: a password and a one-time code (django-otp)."""
    return bool(user.is_authenticated and getattr(user, "is_verified", lambda: False)())


def campaigns_of(user: Any) -> QuerySet[Campaign]:
    """The campaigns this person organises. Nothing before the login's second factor: a
    stolen password alone reads no campaign's dashboard, drafts or supporters."""
    if not verified(user):
        return Campaign.objects.none()
    if user.is_superuser:
        return Campaign.objects.all()
    if not user.is_active or not user.is_staff:
        return Campaign.objects.none()
    return Campaign.objects.filter(organisers=user)
