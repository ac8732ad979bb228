"""The dashboard and downloads (organisers only) and the public results page."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hashrally.campaigns.models import Campaign
from hashrally.reports.extras import refresh_extras
from hashrally.reports.models import ReportExtras, ResultsSettings
from hashrally.reports.refresh import changed
from tests.fakes import log_in
from tests.listening.fakes import run_import
from tests.reports.fakes import CHILD, HAND_BUILT, csv_file, fold_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def collected(campaigns: list[str], tmp_path: Path) -> Campaign:
    hostile = (
        '"https://x.com/eve/status/9",eve,"=HYPERLINK(""http://evil"") #Khojaly",'
        "2026-02-25T10:00:00Z,en,0,0,0,0,"
    )
    run_import(csv_file(tmp_path, [*HAND_BUILT, hostile]), "csv")
    fold_all()
    campaign = Campaign.objects.get(slug=CHILD)
    refresh_extras(campaign)
    return campaign


def organiser(campaign: Campaign | None) -> Client:
    user = User.objects.create_user("org", password="x", is_staff=True)
    if campaign is not None:
        campaign.organisers.add(user)
    client = Client()
    log_in(client, user)
    return client


def test_it_shows_the_dashboard_only_to_an_organiser_of_the_campaign(collected: Campaign) -> None:
    response = Client().get(f"/c/{CHILD}/dashboard")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert organiser(None).get(f"/c/{CHILD}/dashboard").status_code == 404
    for path in ("", "/report.json", "/posts.csv", "/authors.csv"):
        assert Client().get(f"/c/{CHILD}/dashboard{path}").status_code == 302


def test_it_shows_the_figures_from_counters_on_the_dashboard(collected: Campaign) -> None:
    client = organiser(collected)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/c/{CHILD}/dashboard")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<svg" in body and "<table" in body
    # Counters and extras only: never the posts or authors tables.
    assert not [q for q in queries if '"listening_post"' in q["sql"]]
    assert not [q for q in queries if '"listening_author"' in q["sql"]]
    assert "as of" in body and "still being counted" not in body
    assert len(queries) < 25


def test_it_downloads_json_with_the_reports_keys(collected: Campaign) -> None:
    data = json.loads(organiser(collected).get(f"/c/{CHILD}/dashboard/report.json").content)
    assert data["posts"]["total"] == 5 and data["campaign"]["slug"] == CHILD


def test_it_exports_csv_that_is_safe_in_a_spreadsheet(collected: Campaign) -> None:
    client = organiser(collected)
    response = client.get(f"/c/{CHILD}/dashboard/posts.csv")
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    assert len(rows) == 5
    (hostile,) = [row for row in rows if row["author_id"] == "eve"]
    assert hostile["text"].startswith("'=HYPERLINK")
    assert {row["hashtags"] for row in rows} >= {"khojaly", "khojaly peace"}
    authors = client.get(f"/c/{CHILD}/dashboard/authors.csv")
    assert b"estimated_country" in b"".join(authors.streaming_content)  # type: ignore[attr-defined]


def test_it_downloads_the_pdf_as_a_pdf(collected: Campaign) -> None:
    response = organiser(collected).get(f"/c/{CHILD}/dashboard/report.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_it_shows_only_what_the_organisers_publish_on_the_results_page(collected: Campaign) -> None:
    assert Client().get(f"/c/{CHILD}/results").status_code == 404
    ResultsSettings.objects.create(campaign=collected, sections=["posts", "timeline"])
    response = Client().get(f"/c/{CHILD}/results")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="posts-h"' in body and 'id="timeline-h"' in body and "<svg" in body
    assert 'id="supporters-h"' not in body and 'id="authenticity-h"' not in body
    draft = Campaign.objects.create(slug="draft-one", status="draft")
    ResultsSettings.objects.create(campaign=draft, sections=["posts"])
    assert Client().get("/c/draft-one/results").status_code == 404


def test_it_lets_organisers_choose_the_published_sections_in_the_admin(collected: Campaign) -> None:
    client = organiser(collected)
    user = User.objects.get(username="org")
    # Django's model permissions as for every admin page, then only their campaigns.
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_resultssettings", "view_resultssettings"])
    )
    other = Campaign.objects.exclude(pk=collected.pk).first()
    assert other is not None
    refused = client.post(
        "/admin/reports/resultssettings/add/", {"campaign": other.pk, "sections": ["posts"]}
    )
    assert refused.status_code == 200 and not ResultsSettings.objects.exists()
    response = client.post(
        "/admin/reports/resultssettings/add/",
        {"campaign": collected.pk, "sections": ["posts", "countries"]},
    )
    assert response.status_code == 302, response.content[:2000]
    assert ResultsSettings.objects.get(campaign=collected).sections == ["posts", "countries"]
    assert Client().get(f"/c/{CHILD}/results").status_code == 200


def test_it_writes_nothing_on_a_dashboard_get_before_the_extras_are_built(
    campaigns: list[str], tmp_path: Path
) -> None:
    run_import(csv_file(tmp_path, HAND_BUILT), "csv")
    fold_all()
    campaign = Campaign.objects.get(slug=CHILD)
    changed([campaign.pk])  # the worker has seen new posts, not rebuilt the extras yet
    client = organiser(campaign)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/c/{CHILD}/dashboard")
        download = client.get(f"/c/{CHILD}/dashboard/report.json")
    assert response.status_code == 200 and download.status_code == 200
    writes = [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        # The download's line in the audit log is the one write.
        and "campaigns_auditentry" not in q["sql"]
    ]
    assert writes == []
    assert "are not computed yet" in response.content.decode()
    assert json.loads(download.content)["built_at"] is None
    assert ReportExtras.objects.get(campaign=campaign).built_at is None


def test_it_shows_a_confirmation_on_the_dashboard_after_one_worker_round(
    collected: Campaign,
) -> None:
    """The extras were just built, so they wait minutes before the next rebuild; a supporter
    who confirms meanwhile shows in the next round, with the time it was counted."""
    from django.core.management import call_command

    from hashrally.supporters.actions import do_confirm, do_join

    client = organiser(collected)
    before = client.get(f"/c/{CHILD}/dashboard/report.json").json()["supporters"]
    joined = do_join(
        collected, {"country": "AZ", "email": "a@example.org"}, language="en", client_ip="x"
    ).supporter
    assert joined is not None
    do_confirm(joined)
    call_command("worker", "--once", stdout=io.StringIO())
    after = client.get(f"/c/{CHILD}/dashboard/report.json").json()
    assert (after["supporters"]["joined"], after["supporters"]["confirmed"]) == (
        before["joined"] + 1,
        before["confirmed"] + 1,
    )
    stored = ReportExtras.objects.get(campaign=collected)
    assert stored.supporters_at is not None and stored.built_at is not None
    assert stored.supporters_at > stored.built_at  # the extras were not rebuilt for it
    assert after["supporters_at"] == stored.supporters_at.isoformat()
    html = client.get(f"/c/{CHILD}/dashboard", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Supporters as of" in html and "Authenticity and top posts as of" in html
    # The public results page says the same times, each beside what it labels.
    ResultsSettings.objects.create(campaign=collected, sections=["supporters", "posts"])
    public = Client().get(f"/c/{CHILD}/results", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for label, moment in (
        ("Supporters as of", stored.supporters_at),
        ("Authenticity and top posts as of", stored.built_at),
    ):
        stamp = moment.astimezone(dt.UTC).isoformat()
        assert f'{label} <time datetime="{stamp}' in public
    assert "Computed at" not in public


def test_it_shows_on_the_dashboard_why_the_latest_run_of_a_source_refused_lines(
    campaigns: list[str], tmp_path: Path
) -> None:
    bad = '"https://x.com/eve/status/9",eve,"#Khojaly",yesterday,en,0,0,0,0,'
    run_import(csv_file(tmp_path, [*HAND_BUILT, bad]), "csv")
    fold_all()
    campaign = Campaign.objects.get(slug=CHILD)
    refresh_extras(campaign)
    client = organiser(campaign)
    html = client.get(f"/c/{CHILD}/dashboard", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # The row's number in the file: the header is line 1.
    line = len(HAND_BUILT) + 2
    assert "Collection problems" in html and "1 page or line refused" in html
    reason = "created is not an ISO 8601 time: &#x27;yesterday&#x27;"
    assert f"posts.csv:{line}</code> <bdi>{reason}" in html
    report = client.get(f"/c/{CHILD}/dashboard/report.json").json()
    assert [s["refused"] for s in report["sources"]] == [1]
    # The public results page counts refusals but never shows what was in the lines.
    ResultsSettings.objects.create(campaign=campaign, sections=["posts"])
    public = Client().get(f"/c/{CHILD}/results").content.decode()
    assert "yesterday" not in public and "Collection problems" not in public
    # A later clean import of that source: collection stands well again, nothing to show.
    run_import(csv_file(tmp_path, HAND_BUILT, name="clean.csv"), "csv")
    html = client.get(f"/c/{CHILD}/dashboard", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Collection problems" not in html


def test_it_tells_an_organiser_what_to_publish_where_a_visitor_finds_nothing(
    collected: Campaign,
) -> None:
    assert Client().get(f"/c/{CHILD}/results").status_code == 404
    page = organiser(collected).get(f"/c/{CHILD}/results", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200 and "Results are not published yet" in html
    assert f"/admin/reports/resultssettings/add/?campaign={collected.pk}" in html
