"""The organiser's dashboard and downloads (login required) and the public results page."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from hashrally.campaigns import audit, pages, visit
from hashrally.campaigns.access import Capability, campaigns_of, may, verified
from hashrally.campaigns.models import Campaign
from hashrally.core import networks
from hashrally.listening import runs
from hashrally.listening.models import PostMatch
from hashrally.reports import formats, wall
from hashrally.reports.assemble import dashboard_report
from hashrally.reports.models import CampaignAuthor, ResultsSettings
from hashrally.reports.presentation import report_context, troubled_rows


def organisers_only(
    may: Capability = "view",
) -> Callable[
    [Callable[[HttpRequest, Campaign], HttpResponseBase]], Callable[[HttpRequest, str], Any]
]:
    """The view gets the campaign if this person's role in it allows `may`; others are sent to
    log in, or get a 404 that does not say whether the campaign exists."""

    def decorate(
        view: Callable[[HttpRequest, Campaign], HttpResponseBase],
    ) -> Callable[[HttpRequest, str], HttpResponseBase]:
        @functools.wraps(view)
        @require_GET
        def wrapped(request: HttpRequest, slug: str) -> HttpResponseBase:
            # A password alone is not enough: the login's second factor must have been given.
            if not verified(request.user):
                return redirect_to_login(request.get_full_path(), "admin:login")
            campaign = campaigns_of(request.user, may).filter(slug=slug).first()
            if campaign is None:
                raise Http404("no campaign of yours with this address")
            return view(request, campaign)

        return wrapped

    return decorate


@organisers_only()
def dashboard(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    report = dashboard_report(campaign)
    response = render(
        request,
        "reports/dashboard.html",
        {
            "campaign": campaign,
            # Only while the worker folds new posts in: an index of pending matches answers.
            # An umbrella's include its initiatives': the fold counts those for it too.
            "pending": PostMatch.objects.filter(
                campaign_id__in=campaign.family_ids(), pending=True
            ).count(),
            # Read live, unlike the figures: how each source's collection stands right now.
            "troubled": troubled_rows(runs.troubled(campaign.family_ids())),
            **report_context(report),
        },
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _report_file(
    request: HttpRequest, campaign: Campaign, file: formats.ReportFormat
) -> HttpResponse:
    audit.record(request, "download", f"report ({file.name})", None, campaign)
    response = HttpResponse(file.write(dashboard_report(campaign)), content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.filename(campaign.slug)}"'
    return response


@organisers_only()
def report_json(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    return _report_file(request, campaign, formats.JSON)


@organisers_only()
def report_pdf(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    return _report_file(request, campaign, formats.PDF)


def _rows_file(
    request: HttpRequest, campaign: Campaign, export: formats.RowsExport, rows: int
) -> HttpResponseBase:
    audit.record(request, "export", f"{export.name} (CSV)", rows, campaign)
    response = StreamingHttpResponse(export.lines(campaign.pk), content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename(campaign.slug)}"'
    return response


@organisers_only("export")
def posts_csv(request: HttpRequest, campaign: Campaign) -> HttpResponseBase:
    return _rows_file(
        request, campaign, formats.POSTS, PostMatch.objects.filter(campaign=campaign).count()
    )


@organisers_only("export")
def authors_csv(request: HttpRequest, campaign: Campaign) -> HttpResponseBase:
    return _rows_file(
        request,
        campaign,
        formats.AUTHORS,
        CampaignAuthor.objects.filter(campaign=campaign).count(),
    )


@require_GET
def results(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = get_object_or_404(pages.public_campaigns(), slug=slug)
    chosen = ResultsSettings.objects.filter(campaign=campaign).first()
    if chosen is None or not chosen.sections:
        if may(request.user, "view", campaign):
            # An organiser is told what to do, where a visitor finds nothing yet.
            return render(
                request,
                "reports/results_unpublished.html",
                {"campaign": campaign, "settings": chosen},
            )
        raise Http404("the organisers have not published results yet")
    report = dashboard_report(campaign)
    return render(
        request,
        "reports/results.html",
        {"campaign": campaign, **report_context(report, published=chosen.sections)},
    )


@require_GET
def wall_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The full-screen wall for screens at events, and its list alone (?fragment=1), which
    the page fetches to refresh itself."""
    campaign = get_object_or_404(pages.public_campaigns(), slug=slug)
    context = {
        "campaign": campaign,
        "text": visit.text_for(request, campaign),
        "hashtag_line": " ".join(f"#{tag}" for tag in campaign.hashtags),
        "posts": wall.public(campaign.pk),
        "refresh_seconds": settings.HASHRALLY_WALL_REFRESH_SECONDS,
    }
    fragment = bool(request.GET.get("fragment"))
    response = render(request, "reports/_wall.html" if fragment else "reports/wall.html", context)
    response["Cache-Control"] = f"public, max-age={settings.HASHRALLY_PAGE_CACHE_SECONDS}"
    return response


MODERATION = {"hide-post", "approve-post", "hide-author", "forget", "pre-moderate", "post-moderate"}


@require_http_methods(["GET", "POST"])
@never_cache
def wall_moderate(request: HttpRequest, slug: str) -> HttpResponse:
    """The organisers' view of the wall: every recent post, held or not, and why; hiding and
    approving posts and authors, and the moderation mode. Editors and owners only."""
    if not verified(request.user):
        return redirect_to_login(request.get_full_path(), "admin:login")
    campaign = campaigns_of(request.user, "edit").filter(slug=slug).first()
    if campaign is None:
        raise Http404("no campaign of yours with this address")
    if request.method == "POST":
        problem = _moderate(request, campaign)
        if problem:
            return HttpResponse(problem, status=400, content_type="text/plain; charset=utf-8")
        # 303: the browser comes back with a GET, and a reload does not post the form again.
        return HttpResponseRedirect(
            reverse("reports:wall_moderate", args=[campaign.slug]), status=303
        )
    return render(
        request,
        "reports/wall_moderate.html",
        {
            "campaign": campaign,
            "premoderated": wall.premoderated(campaign.pk),
            "posts": wall.posts(campaign.pk, everything=True, limit=wall.CANDIDATES),
            "moderating": True,
        },
    )


def _moderate(request: HttpRequest, campaign: Campaign) -> str:
    """Carry out one moderation form; what is wrong with it, or ""."""
    do = request.POST.get("do", "")
    if do not in MODERATION:
        return f"unknown action {do!r}"
    by = request.user.get_username()
    if do in ("pre-moderate", "post-moderate"):
        wall.do_set_premoderated(campaign.pk, do == "pre-moderate")
        audit.record(request, "change", f"wall: {do}", None, campaign)
        wall.refresh_public(campaign.pk)
        return ""
    network, post, author = (request.POST.get(k, "") for k in ("network", "post", "author"))
    if network not in networks.NETWORKS or not post or len(post) > 300 or len(author) > 300:
        return "network, post and author must name a post"
    # Only the campaign's own posts: a decision about anything else changes nothing.
    if not PostMatch.objects.filter(campaign=campaign, network=network, post_id=post).exists():
        return "not a post of this campaign"
    if do == "hide-post":
        wall.do_decide(campaign.pk, "post", network, post, False, by)
    elif do == "approve-post":
        wall.do_decide(campaign.pk, "post", network, post, True, by)
    elif do == "hide-author":
        wall.do_decide(campaign.pk, "author", network, author, False, by)
    else:
        wall.do_decide(campaign.pk, "post", network, post, None, by)
        wall.do_decide(campaign.pk, "author", network, author, None, by)
    audit.record(request, "change", f"wall: {do} {network}:{post}", None, campaign)
    # The public wall follows at once rather than after its few seconds in the cache.
    wall.refresh_public(campaign.pk)
    return ""
