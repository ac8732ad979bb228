"""What a visitor's request asks of a campaign: its address, its language, the composer.

Every page that shows a campaign (the campaign page, a network's composer, the thanks page)
reads the request through these, so the query parameters mean the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _

from hashrally.campaigns import pages, sharelinks
from hashrally.campaigns.models import Campaign, CampaignText
from hashrally.core import networks

PERSONAL_MAX = 280
MASTODON_INSTANCES = (
    "mastodon.social",
    "mastodon.online",
    "mstdn.social",
    "mas.to",
    "fosstodon.org",
    "mastodon.world",
    "troet.cafe",
    "mastodon.uno",
)


def absolute_url(request: HttpRequest, path: str) -> str:
    return f"{settings.SITE_URL}{path}" if settings.SITE_URL else request.build_absolute_uri(path)


def campaign_url(request: HttpRequest, campaign: Campaign) -> str:
    return absolute_url(request, campaign.get_absolute_url())


def language_for(request: HttpRequest, campaign: Campaign) -> str:
    """The campaign text this visitor sees: `?lang=`, else the interface's, else the default."""
    return pages.language_of(campaign, request.GET.get("lang", ""))


def text_for(request: HttpRequest, campaign: Campaign) -> CampaignText:
    text = pages.text_in(campaign, language_for(request, campaign))
    if text is None:
        raise Http404("This campaign has no text yet")
    return text


def personal_sentence(request: HttpRequest) -> str:
    return request.GET.get("mine", "").strip()[:PERSONAL_MAX]


# What each left-out part is called for a person (sharelinks.DROP_ORDER).
DROPPED = {
    "url": _("the link to the campaign"),
    "extra_hashtags": _("the hashtags after the first"),
    "name_mentions": _("the names of targets without an account there"),
    "extra_mentions": _("the mentions after the first"),
}


@dataclass(frozen=True)
class NetworkPost:
    """What one network receives: its text, length and limit, and what was left out to fit."""

    code: str
    name: str
    composed: sharelinks.Composed
    left_out: list[str]


def composed_per_network(
    variant: str, context: sharelinks.ShareContext, personal: str
) -> list[NetworkPost]:
    """Every share network's text, composed by the same rules as its button (or, for a network
    that takes no ready-made text, as its copy button copies it)."""
    posts = []
    for code in sharelinks.NETWORKS:
        # Copy-only networks too: their copy buttons copy the text composed for them.
        composed = sharelinks.compose(variant, context, code, personal)
        left_out = [str(DROPPED[step]) for step in composed.dropped]
        posts.append(NetworkPost(code, networks.name(code), composed, left_out))
    return posts


@dataclass(frozen=True)
class Shortening:
    """The offer to cut the person's sentence so that every network's post fits."""

    sentence: str
    networks: list[str]  # the networks where it pushed out part of the text, or did not fit
    link: str  # the page with the shortened sentence: the offer works without JavaScript


def shortening(
    request: HttpRequest,
    campaign: Campaign,
    variant: str,
    context: sharelinks.ShareContext,
    personal: str,
    posts: list[NetworkPost],
) -> Shortening | None:
    # Where their sentence makes the post too long or pushes out part of the campaign's text.
    over = [post for post in posts if not post.composed.fits or post.left_out]
    cuts = {
        post.name: sharelinks.shorten_personal(variant, context, post.code, personal)
        for post in over
    }
    found = [cut for cut in cuts.values() if cut]
    if not found:
        return None
    # The shortest cut fits the strictest network, and so every other one.
    sentence = min(found, key=len)
    kept = {k: request.GET[k] for k in ("v", "lang", "instance") if request.GET.get(k)}
    query = urlencode({**kept, "mine": sentence})
    return Shortening(
        sentence,
        [name for name, cut in cuts.items() if cut],
        f"{campaign.get_absolute_url()}?{query}#composer-h",
    )


def composer_context(
    request: HttpRequest, campaign: Campaign, language: str, variant_index: int | None = None
) -> dict[str, object]:
    url = campaign_url(request, campaign)
    variants = pages.variants_in(campaign, language)
    asked = request.GET.get("shuffle") or request.GET.get("v")
    index = pages.choose_variant(
        len(variants), asked if variant_index is None else str(variant_index)
    )
    personal = personal_sentence(request)
    if not variants:
        return {"variant_count": 0}
    variant = variants[index].text
    # The variant's own language (the default's when this language has none) names targets.
    context = pages.share_context(campaign, url, variants[index].language)
    checks = composed_per_network(variant, context, personal)
    return {
        "campaign_url": url,
        "variant_index": index,
        "variant_count": len(variants),
        "next_variant": (index + 1) % len(variants),
        "personal": personal,
        "personal_max": PERSONAL_MAX,
        "preview": sharelinks.compose(variant, context, "x", personal).text,
        "preview_base": sharelinks.compose(variant, context, "x").text,
        "length_checks": checks,
        "shortening": shortening(request, campaign, variant, context, personal, checks),
        "buttons": pages.share_buttons(),
        "instances": MASTODON_INSTANCES,
        "instance": request.GET.get("instance", ""),
    }
