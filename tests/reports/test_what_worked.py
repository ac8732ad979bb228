"""What worked: clicks per message variant counted as pressed here, posts that follow each
variant counted from texts written here as people would (the campaign file's words, a word of
their own), joins per referral link, and a leaderboard of only those who agreed."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from hashrally.campaigns.models import Campaign
from hashrally.reports.assemble import full_report
from hashrally.supporters.counts import recount
from hashrally.supporters.models import Supporter
from tests.fakes import ROOT
from tests.listening.fakes import run_import
from tests.reports.fakes import CHILD, csv_file, fold_all

pytestmark = pytest.mark.django_db
FILE = ROOT / "tests" / "fixtures" / "campaigns" / f"{CHILD}.toml"


def english_variants() -> list[str]:
    return list(tomllib.loads(FILE.read_text(encoding="utf-8"))["texts"]["en"]["variants"])


def as_posted(variant: str, own: str) -> str:
    """A variant as someone posts it: placeholders written out, a word of their own first."""
    written = (
        variant.replace("{hashtags}", "#Khojaly #RecognizeToReconcile")
        .replace("{mentions}", "@NikolPashinyan")
        .replace("{url}", "https://campaign.example/c/recognize-to-reconcile/")
    )
    return f"{own} {written}"


def test_it_counts_clicks_and_posts_per_variant(
    client: Client, campaigns: list[str], tmp_path: Path
) -> None:
    pressed = [("x", "0"), ("x", "0"), ("bluesky", "1"), ("x", "2")]
    for network, variant in pressed:
        client.get(f"/c/{CHILD}/go/{network}", {"v": variant, "lang": "en"})
    variants = english_variants()
    own = ["Today", "Please", "Never forget", "From Baku", "Yes"]
    rows = [
        # Two follow the first variant, one the third; one is the person's own words.
        f'https://x.com/u{n}/status/{100 + n},u{n},"{text}",2026-02-24T10:0{n}:00Z'
        for n, text in enumerate(
            [
                as_posted(variants[0], own[0]),
                as_posted(variants[0], own[1]),
                as_posted(variants[2], own[2]),
                "My own words about #Khojaly and what happened there, in my own way",
            ]
        )
    ]
    run_import(csv_file(tmp_path, rows), "csv")
    fold_all()
    worked = full_report(Campaign.objects.get(slug=CHILD))["what_worked"]
    english = {v["position"]: v for v in worked["variants"] if v["language"] == "en"}
    assert [english[p]["clicks"] for p in (0, 1, 2)] == [2, 1, 1]
    assert [english[p]["posts"] for p in (0, 1, 2)] == [2, 0, 1]
    assert english[0]["text"] == variants[0]
    assert worked["clicks_by_network"] == {"x": 3, "bluesky": 1}


def test_it_counts_joins_per_referral_and_names_only_those_who_agreed(
    client: Client, campaigns: list[str]
) -> None:
    campaign = Campaign.objects.get(slug=CHILD)
    join = f"/c/{CHILD}/join"

    def joined(**fields: str) -> Supporter:
        data = {"country": "AZ", "consent": "on", **fields}
        assert Client().post(join, data).status_code == 303
        newest = Supporter.objects.order_by("-id").first()
        assert newest is not None
        return newest

    named = joined(display_name="Aysel", show_name="on", on_leaderboard="on", email="a@e.org")
    quiet = joined(display_name="Orhan", show_name="on", email="o@e.org")  # not on the board
    Supporter.objects.filter(pk__in=[named.pk, quiet.pk]).update(confirmed_at=timezone.now())
    for _ in range(3):
        joined(ref=named.ref_code)
    joined(ref=quiet.ref_code)
    joined()
    Supporter.objects.filter(referred_by__isnull=False).update(confirmed_at=timezone.now())
    # Unconfirmed joins cost nothing to make up: they do not lift anyone on the board.
    joined(ref=named.ref_code)
    recount(campaign.pk)
    worked = full_report(campaign)["what_worked"]
    assert (worked["referral_joins"], worked["referrers"]) == (5, 2)
    assert worked["leaderboard"] == [{"name": "Aysel", "joins": 3}]
    page = client.get(f"/c/{CHILD}/", {"lang": "en"}).content.decode()
    assert "Who brought the most people" in page and "Aysel</bdi>: 3" in page
    assert "Orhan</bdi>:" not in page
