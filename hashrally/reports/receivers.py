"""What reports add to the campaign page (through campaigns.signals.page_context)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from hashrally.campaigns.models import Campaign
from hashrally.core import networks
from hashrally.core.folding import fold_handle
from hashrally.reports.models import Figure


def page_context(sender: type, campaign: Campaign, **kwargs: Any) -> dict[str, object]:
    # Imported here: the wall brings numpy (MinHash), 0.07 s of every command's start,
    # `hashrally import` included, that only a page showing the wall needs.
    from hashrally.reports import wall

    return {
        "wall_posts": wall.public(campaign.pk)[: wall.ON_PAGE],
        "wall_url": reverse("reports:wall", args=[campaign.slug]),
        "target_mentions": mentions(campaign),
    }


def mentions(campaign: Campaign) -> dict[int, list[tuple[str, int]]]:
    """Per target (by id): the campaign's posts that mention each of their accounts, per
    network, from the counters the fold keeps (one read of a few rows)."""
    counted = {
        key: value
        for key, value in Figure.objects.filter(campaign=campaign, dimension="target").values_list(
            "key", "value"
        )
        if value
    }
    found: dict[int, list[tuple[str, int]]] = {}
    for target in campaign.targets.all():
        for account in target.accounts.all():
            n = counted.get(f"{account.network}:{fold_handle(account.handle)}", 0)
            if n:
                found.setdefault(target.pk, []).append((networks.name(account.network), n))
    return found


def fold_before_delete(sender: type, instance: Campaign, **kwargs: Any) -> None:
    """An initiative's posts reach its umbrellas as its matches are folded: what it has not
    folded yet is folded before its matches go with it, so its umbrellas keep counting its
    posts (as when they held copies of them)."""
    from hashrally.reports import fold

    if instance.parent_id is None:
        return
    after = 0
    while True:
        done, after = fold.fold(instance.pk, after=after)
        if done < fold.FOLD_BATCH:
            return
