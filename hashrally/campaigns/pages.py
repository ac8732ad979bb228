"""What a campaign page shows, computed from the stored campaign (no HTTP here)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import timezone, translation

from hashrally.campaigns import rules, sharelinks
from hashrally.campaigns.models import (
    Campaign,
    CampaignText,
    HeroImage,
    MessageVariant,
    Target,
)
from hashrally.core import locales, networks
from hashrally.core.numbers import whole


def is_rtl(language: str) -> bool:
    # One helper decides every direction (core/locales.py): Azerbaijani in Latin is not RTL.
    return locales.is_rtl(language)


def language_name(language: str) -> str:
    try:
        return str(translation.get_language_info(language)["name_local"])
    except KeyError:
        return language


def public_campaigns() -> QuerySet[Campaign]:
    return Campaign.objects.filter(status__in=[Campaign.Status.LIVE, Campaign.Status.CLOSED])


def campaign_for_page(slug: str, also: QuerySet[Campaign] | None = None) -> Campaign | None:
    """A public campaign's page, or one of `also` (an organiser's own drafts)."""
    campaigns = public_campaigns() if also is None else public_campaigns() | also
    return (
        campaigns.select_related("parent", "counts", "hero")
        # The picture's bytes are served on their own address, never read with the page.
        .defer("hero__large", "hero__small")
        .prefetch_related(
            "texts",
            "variants",
            "targets__accounts",
            "targets__posts",
            "targets__responses",
            "targets__texts",
            "endorsements",
            Prefetch("parent__texts"),
            Prefetch("children", queryset=public_campaigns().order_by("slug")),
            "children__texts",
        )
        .filter(slug=slug)
        .first()
    )


def pick_language(available: Sequence[str], requested: str, interface: str, default: str) -> str:
    """The campaign's own texts: the one asked for, else the interface's, else the default."""
    for candidate in (requested, interface, interface.split("-")[0]):
        if candidate and candidate in available:
            return candidate
    return default


def language_of(campaign: Campaign, requested: str = "", interface: str | None = None) -> str:
    """Which of the campaign's texts to show: the one every page, mail and report asks with."""
    return pick_language(
        [t.language for t in campaign.texts.all()],
        requested,
        translation.get_language() if interface is None else interface,
        campaign.default_language,
    )


def text_in(campaign: Campaign, language: str) -> CampaignText | None:
    texts = {t.language: t for t in campaign.texts.all()}
    return texts.get(language) or texts.get(campaign.default_language)


def variants_in(campaign: Campaign, language: str) -> list[MessageVariant]:
    variants = [v for v in campaign.variants.all() if v.language == language]
    return variants or [
        v for v in campaign.variants.all() if v.language == campaign.default_language
    ]


def page_facts(campaign: Campaign) -> dict[str, object]:
    """What choosing a cached page needs: languages and how many variants each has."""
    variants: dict[str, int] = {}
    for variant in campaign.variants.all():
        variants[variant.language] = variants.get(variant.language, 0) + 1
    return {
        "languages": [t.language for t in campaign.texts.all()],
        "default": campaign.default_language,
        "variants": variants,
    }


def choose_variant(count: int, asked: str | None) -> int:
    """Another variant on each visit unless the visitor asked for one (shuffle, or a share)."""
    if count == 0:
        return 0
    number = whole(asked)
    if number is not None:
        return number % count
    return random.randrange(count)


def share_context(campaign: Campaign, url: str, language: str) -> sharelinks.ShareContext:
    """What a text in `language` is composed with: targets without an account on a network
    are named as that language writes them."""
    return rules.share_context(
        campaign.hashtags,
        [
            (t.in_language(language)[0], {a.network: a.handle for a in t.accounts.all()})
            for t in campaign.targets.all()
        ],
        url,
    )


@dataclass(frozen=True)
class ShownTarget:
    target: Target
    name: str
    role: str
    language: str  # the language name and role are written in, for lang= on the page

    @property
    def direction(self) -> str:
        return "rtl" if is_rtl(self.language) else "ltr"


def targets_in(campaign: Campaign, language: str) -> list[ShownTarget]:
    return [ShownTarget(t, *t.in_language(language)) for t in campaign.targets.all()]


@dataclass(frozen=True)
class ShareButton:
    network: str
    label: str
    prefilled: bool  # False: the network takes no text, so the page offers "copy text"
    opens_link: bool  # False: no share address at all (Instagram, TikTok)


def share_buttons() -> list[ShareButton]:
    buttons = []
    # The registry is ordered for people: networks where posts are counted come first.
    for code in sharelinks.NETWORKS:
        network = networks.NETWORKS[code]
        buttons.append(
            ShareButton(
                network=code,
                label=network.name,
                prefilled=not network.copy_only,
                opens_link=network.share is not None,
            )
        )
    return buttons


@dataclass(frozen=True)
class ShownMoment:
    at: dt.datetime
    text: str  # on the campaign's clock, in the reader's language
    past: bool


def moment_of(campaign: Campaign, language: str) -> ShownMoment | None:
    if campaign.moment_at is None:
        return None
    return ShownMoment(
        campaign.moment_at,
        locales.moment_text(campaign.moment_at, campaign.moment_time_zone, language),
        campaign.moment_at <= timezone.now(),
    )


def hero_of(campaign: Campaign) -> HeroImage | None:
    try:
        return campaign.hero
    except HeroImage.DoesNotExist:
        return None
