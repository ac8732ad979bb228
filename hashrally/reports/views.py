"""The organiser's dashboard and downloads (login required) and the public results page."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from hashrally.campaigns import audit, pages
from hashrally.campaigns.access import Capability, campaigns_of, may, verified
from hashrally.campaigns.models import Campaign
from hashrally.listening import runs
from hashrally.listening.models import PostMatch
from hashrally.reports import formats
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
            "pending": PostMatch.objects.filter(campaign=campaign, pending=True).count(),
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
