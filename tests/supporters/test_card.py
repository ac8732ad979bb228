"""The campaign's social card: what networks show when its page is shared."""

from __future__ import annotations

import re
import struct

import pytest
from django.test import Client

from hashrally.campaigns.models import Campaign
from tests.supporters.fakes import SLUG

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "az", "ar", "ru"])
def test_it_draws_a_card_for_each_language(campaign: Campaign, language: str) -> None:
    response = Client().get(f"/c/{SLUG}/card.png", {"lang": language})
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    body = response.content
    # A PNG's header: the signature, then IHDR with width and height (RFC 2083), read by hand.
    assert body[:8] == b"\x89PNG\r\n\x1a\n" and body[12:16] == b"IHDR"
    assert struct.unpack(">II", body[16:24]) == (1200, 630)


def test_it_names_the_card_in_the_pages_open_graph_tags(campaign: Campaign) -> None:
    html = Client().get(f"/c/{SLUG}/?lang=az").content.decode()
    image = re.search(r'<meta property="og:image" content="([^"]+)">', html)
    assert image and image.group(1) == f"http://testserver/c/{SLUG}/card.png?lang=az"
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert Client().get("/c/no-such-campaign/card.png").status_code == 404
