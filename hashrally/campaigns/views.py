from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from hashrally.campaigns import access, calendar, pages, sharelinks, signals, visit
from hashrally.campaigns.markdown import render_markdown
from hashrally.campaigns.models import Campaign, HeroImage, TargetPost
from hashrally.core import networks, pagecache


def _load(request: HttpRequest, slug: str) -> Campaign:
    # An organiser previews their own campaigns' drafts; nobody else's.
    own = access.campaigns_of(request.user) if request.user.is_authenticated else None
    campaign = pages.campaign_for_page(slug, also=own)
    if campaign is None:
        raise Http404("No such campaign")
    return campaign


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    interface = translation.get_language()
    live = (
        Campaign.objects.filter(status=Campaign.Status.LIVE)
        .select_related("parent")
        .prefetch_related("texts")
        .order_by("parent_id", "-starts_on", "slug")
    )
    rows = []
    for campaign in live:
        language = pages.language_of(campaign, "", interface)
        rows.append({"campaign": campaign, "text": pages.text_in(campaign, language)})
    return render(request, "campaigns/index.html", {"rows": rows})


# Query parameters a cached page may vary by; anything else (a personal sentence, a referral
# code, a Mastodon server) is rendered for that visitor alone.
CACHEABLE_PARAMETERS = {"lang", "v", "shuffle"}


@require_GET
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The campaign page. Anonymous views come from the cache for a few seconds, so a crowd
    reloading to watch the count costs a cache read each, not a dozen queries."""
    if not request.user.is_anonymous or set(request.GET) - CACHEABLE_PARAMETERS:
        return _render_detail(request, _load(request, slug), None)
    loaded: list[Campaign] = []

    def facts_of_campaign() -> dict[str, Any]:
        loaded.append(_load(request, slug))
        return pages.page_facts(loaded[0])

    facts, _stale = pagecache.cached(f"campaign-facts:{slug}", facts_of_campaign)
    interface = translation.get_language()
    language = pages.pick_language(
        facts["languages"], request.GET.get("lang", ""), interface, facts["default"]
    )
    count = facts["variants"].get(language) or facts["variants"].get(facts["default"], 0)
    index = pages.choose_variant(count, request.GET.get("shuffle") or request.GET.get("v"))
    prefix = f"campaign-page:{pagecache.site_of(request)}:{slug}:{interface}:{language}"

    def page() -> bytes:
        campaign = loaded[0] if loaded else _load(request, slug)
        return _render_detail(request, campaign, index).content

    try:
        html, stale = pagecache.cached(f"{prefix}:{index}", page)
    except pagecache.DATABASE_DOWN:
        # The database is down and this variant was never served: any variant's copy will
        # do, unless the visitor asked for this one (a shared link).
        asked = request.GET.get("shuffle") or request.GET.get("v")
        copies = (pagecache.copy(f"{prefix}:{other}") for other in range(count))
        found = None if asked else next((c for c in copies if c is not None), None)
        if found is None:
            raise
        html, stale = found, True
    response = HttpResponse(html)
    # The same page every anonymous visitor gets: a proxy may keep it as long as we do. The
    # last good copy, while the database cannot answer, it must not keep.
    response["Cache-Control"] = (
        "no-store" if stale else f"public, max-age={settings.HASHRALLY_PAGE_CACHE_SECONDS}"
    )
    return response


def _render_detail(request: HttpRequest, campaign: Campaign, variant: int | None) -> HttpResponse:
    available = [t.language for t in campaign.texts.all()]
    text = visit.text_for(request, campaign)
    language = text.language
    children = [
        {"campaign": child, "text": pages.text_in(child, pages.language_of(child, language))}
        for child in campaign.children.all()
    ]
    parent_text = pages.text_in(campaign.parent, language) if campaign.parent else None
    context = {
        "campaign": campaign,
        "text": text,
        "text_rtl": pages.is_rtl(text.language),
        # Absolute addresses for the share card (og:image) and the like.
        "site_root": visit.absolute_url(request, "/").rstrip("/"),
        # Shown in a language other than the page's: the page says which.
        "text_language_differs": text.language.split("-")[0]
        != (translation.get_language() or "en").split("-")[0],
        "text_language_name": pages.language_name(text.language),
        "body": render_markdown(text.body),
        "content_languages": [(code, pages.language_name(code)) for code in sorted(available)],
        "children": children,
        "parent_text": parent_text,
        "hashtag_line": " ".join(f"#{tag}" for tag in campaign.hashtags),
        "targets": pages.targets_in(campaign, text.language),
        "hero": pages.hero_of(campaign),
        "moment": pages.moment_of(campaign, translation.get_language() or "en"),
        "endorsements": campaign.endorsements.all(),
        **signals.page_context_for(campaign),
        **visit.composer_context(request, campaign, text.language, variant),
    }
    return render(request, "campaigns/detail.html", context)


@require_GET
@never_cache
def compose(request: HttpRequest, slug: str) -> HttpResponse:
    """What each network receives for this visitor's sentence: the same fragment the page
    shows, composed by the same rules, fetched as they type."""
    campaign = _load(request, slug)
    language = visit.language_for(request, campaign)
    context = visit.composer_context(request, campaign, language)
    return render(request, "campaigns/_lengths.html", context)


@require_GET
@never_cache
def go(request: HttpRequest, slug: str, network: str) -> HttpResponse:
    """Build the person's text and send them to the network's own composer.

    The text is composed here, not in the browser, so the page works without JavaScript and every
    length rule lives in one tested module. hashrally never posts: the person presses "post".
    """
    if network not in sharelinks.NETWORKS:
        raise Http404("Unknown network")
    campaign = _load(request, slug)
    language = visit.language_for(request, campaign)
    url = visit.campaign_url(request, campaign)
    variants = pages.variants_in(campaign, language)
    if not variants:
        raise Http404("This campaign has no message yet")
    variant = variants[pages.choose_variant(len(variants), request.GET.get("v", "0"))]
    personal = visit.personal_sentence(request)
    composed = sharelinks.compose(
        variant.text, pages.share_context(campaign, url, variant.language), network, personal
    )
    problem = ""
    target = None
    if (
        networks.NETWORKS[network].needs_instance
        and sharelinks.normalise_instance(request.GET.get("instance", "")) is None
    ):
        problem = "instance"
    elif not composed.fits:
        problem = "too_long"
    else:
        target = sharelinks.share_url(network, composed.text, url, request.GET.get("instance"))
        if target is None:
            problem = "no_link"
    if target is not None:
        signals.share_clicked.send(
            sender=Campaign,
            campaign=campaign,
            network=network,
            variant=f"{variant.language}:{variant.position}",
        )
        return HttpResponseRedirect(target)
    # Back to the page with what the person wrote, the same message and their server.
    kept = {k: request.GET[k] for k in ("mine", "v", "lang", "instance") if request.GET.get(k)}
    back = (
        reverse("campaigns:detail", args=[campaign.slug])
        + ("?" + urlencode(kept) if kept else "")
        + "#composer-h"
    )
    return render(
        request,
        "campaigns/go_problem.html",
        {
            "campaign": campaign,
            "network_name": networks.name(network),
            "network": network,
            "problem": problem,
            "composed": composed,
            "shortened": sharelinks.shorten_personal(
                variant.text,
                pages.share_context(campaign, url, variant.language),
                network,
                personal,
            )
            if problem == "too_long"
            else None,
            "back": back,
            "instances": visit.MASTODON_INSTANCES,
            "query": request.GET,
        },
        status=400 if problem == "instance" else 200,
    )


@require_GET
@never_cache
def reply(request: HttpRequest, slug: str, post: int) -> HttpResponse:
    """Send a person to answer under one of a target's pinned posts: the network's reply
    composer with the campaign's message composed as for `go` (X), else the post's own page,
    where the network's reply button is. Only this campaign's pinned posts: the address
    cannot be turned into a redirect to anywhere else."""
    campaign = _load(request, slug)
    pinned = TargetPost.objects.filter(pk=post, target__campaign=campaign).first()
    if pinned is None:
        raise Http404("No such post")
    text = chosen = ""
    variants = pages.variants_in(campaign, visit.language_for(request, campaign))
    if variants and networks.NETWORKS[pinned.network].reply:
        variant = variants[pages.choose_variant(len(variants), request.GET.get("v", "0"))]
        chosen = f"{variant.language}:{variant.position}"
        context = pages.share_context(
            campaign, visit.campaign_url(request, campaign), variant.language
        )
        composed = sharelinks.compose(
            variant.text, context, pinned.network, visit.personal_sentence(request)
        )
        if not composed.fits:  # the person's own sentence is theirs to shorten on the page
            composed = sharelinks.compose(variant.text, context, pinned.network)
        text = composed.text
    if text:  # a composer opens: a share, as with `go` (a post's own page is only a visit)
        signals.share_clicked.send(
            sender=Campaign, campaign=campaign, network=pinned.network, variant=chosen
        )
    return HttpResponseRedirect(sharelinks.reply_url(pinned.network, pinned.url, text))


@require_GET
def moment_ics(request: HttpRequest, slug: str) -> HttpResponse:
    """The campaign moment as a calendar event, in the language the page was read in."""
    campaign = _load(request, slug)
    if campaign.moment_at is None:
        raise Http404("This campaign has no moment")
    text = visit.text_for(request, campaign)
    url = visit.campaign_url(request, campaign)
    hashtags = " ".join(f"#{tag}" for tag in campaign.hashtags)
    body = calendar.moment_event(
        uid=f"moment-{campaign.slug}@{urlsplit(url).hostname}",
        at=campaign.moment_at,
        title=text.title,
        description=f"{text.summary}\n\n{hashtags}\n{url}".strip(),
        url=url,
        stamp=campaign.updated_at,
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{campaign.slug}-moment.ics"'
    return response


@require_GET
def hero(request: HttpRequest, slug: str, digest: str, size: str) -> HttpResponse:
    """The hero picture's bytes. The address names the picture's digest, so it may be cached
    for a year: a new upload gets a new address."""
    own = access.campaigns_of(request.user) if request.user.is_authenticated else None
    campaigns = pages.public_campaigns() if own is None else pages.public_campaigns() | own
    image = (
        HeroImage.objects.filter(campaign__in=campaigns, campaign__slug=slug)
        .only("digest", size)
        .first()
    )
    if image is None or not image.digest.startswith(digest) or len(digest) != 16:
        raise Http404("No such picture")
    response = HttpResponse(bytes(getattr(image, size)), content_type="image/jpeg")
    response["Cache-Control"] = (
        "public, max-age=31536000, immutable" if own is None else "private, max-age=3600"
    )
    return response
