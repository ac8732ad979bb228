"""What reports add to the campaign page (through campaigns.signals.page_context)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from hashrally.campaigns.models import Campaign
from hashrally.reports import wall


def page_context(sender: type, campaign: Campaign, **kwargs: Any) -> dict[str, object]:
    return {
        "wall_posts": wall.public(campaign.pk)[: wall.ON_PAGE],
        "wall_url": reverse("reports:wall", args=[campaign.slug]),
    }
