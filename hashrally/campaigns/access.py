"""Which campaigns a staff member may see and manage: all for superusers, else those given."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from hashrally.campaigns.models import Campaign


def campaigns_of(user: Any) -> QuerySet[Campaign]:
    if user.is_superuser:
        return Campaign.objects.all()
    if not user.is_active or not user.is_staff:
        return Campaign.objects.none()
    return Campaign.objects.filter(organisers=user)
