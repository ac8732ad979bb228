"""What supporters adds to the campaign page, through the hooks campaigns offers."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from hashrally.campaigns.models import Campaign
from hashrally.supporters import actions, display


def page_context(sender: type, campaign: Campaign, **kwargs: Any) -> dict[str, object]:
    return {
        **display.supporters_context(campaign),
        "join_url": reverse("supporters:join", args=[campaign.slug]),
        "map_url": reverse("supporters:map", args=[campaign.slug]),
        "card_url": reverse("supporters:card", args=[campaign.slug]),
        "names": display.names_on_page(campaign),
        "leaderboard": display.leaderboard_on_page(campaign),
        "names_url": reverse("supporters:names", args=[campaign.slug]),
    }


def share_clicked(
    sender: type, campaign: Campaign, network: str, variant: str = "", **kwargs: Any
) -> None:
    actions.do_record_share_click(campaign, network, variant)
