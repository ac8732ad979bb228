from __future__ import annotations

import pytest
from django.test import Client

from hashrally.campaigns.models import Campaign
from hashrally.supporters.models import Supporter
from tests.supporters.fakes import SLUG, join

pytestmark = pytest.mark.django_db


def _share_links(html: str) -> int:
    return html.count(f"/c/{SLUG}/go/")


def test_it_keeps_the_composer_and_referral_link_when_a_proof_link_is_refused(
    client: Client, campaign: Campaign
) -> None:
    join(client)
    supporter = Supporter.objects.get()
    shown = client.get(f"/c/{SLUG}/thanks").content.decode()
    refused = client.post(f"/c/{SLUG}/proof", {"url": "https://example.org/blog"})
    html = refused.content.decode()
    assert refused.status_code == 400
    # The same page as before the refusal: the same share buttons and the referral link.
    assert _share_links(html) == _share_links(shown) > 0
    assert f"?ref={supporter.ref_code}" in html
