from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

from hashrally.campaigns.models import Campaign, MessageVariant, Target, TargetAccount
from tests.fakes import log_in

pytestmark = pytest.mark.django_db


class FormFields(HTMLParser):
    """The values a browser would submit from the admin's change form."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, Any] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") == "checkbox":
                # As a browser sends it: the box's value ("on" without one), every checked box
                # of a name.
                if "checked" in a:
                    value = a.get("value", "on")
                    if name in self.data:
                        before = self.data[name]
                        self.data[name] = [
                            *(before if isinstance(before, list) else [before]),
                            value,
                        ]
                    else:
                        self.data[name] = value
            else:
                self.data[name] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""
        elif tag == "select" and name:
            self._select = name
            # An empty multiple select sends nothing at all.
            if "multiple" not in a:
                self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea] += data


def form_of(client: Client, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200
    parser = FormFields()
    parser.feed(response.content.decode())
    # Browsers drop the newline right after <textarea>; so does Django when it renders one.
    return {
        k: v.removeprefix("\n") if isinstance(v, str) else v
        for k, v in parser.data.items()
        if "__prefix__" not in k
    }


@pytest.fixture
def organiser(client: Client, admin_user: object) -> Client:
    log_in(client, admin_user)
    return client


def campaign_url() -> str:
    campaign = Campaign.objects.get(slug="recognize-to-reconcile")
    return f"/admin/campaigns/campaign/{campaign.pk}/change/"


def test_it_saves_an_unchanged_campaign(organiser: Client, campaigns: list[str]) -> None:
    url = campaign_url()
    response = organiser.post(url, form_of(organiser, url))
    assert response.status_code == 302, response.content.decode()[:3000]


def test_it_refuses_a_variant_too_long_for_a_network(
    organiser: Client, campaigns: list[str]
) -> None:
    url = campaign_url()
    data = form_of(organiser, url)
    key = next(k for k, v in data.items() if k.startswith("variants-") and k.endswith("-text"))
    before = MessageVariant.objects.get(text=data[key]).text
    data[key] = "word " * 60 + "{hashtags} {mentions}"
    response = organiser.post(url, data)
    assert response.status_code == 200
    assert "too long for X" in response.content.decode()
    assert MessageVariant.objects.filter(text=before).exists()


def test_it_refuses_a_bad_hashtag_and_keeps_the_old_ones(
    organiser: Client, campaigns: list[str]
) -> None:
    url = campaign_url()
    data = form_of(organiser, url)
    assert data["hashtags"] == "#Khojaly #RecognizeToReconcile"
    data["hashtags"] = "#Khojaly #not-a-tag"
    response = organiser.post(url, data)
    assert response.status_code == 200
    assert "is not a hashtag" in response.content.decode()
    assert Campaign.objects.get(slug="recognize-to-reconcile").hashtags == [
        "Khojaly",
        "RecognizeToReconcile",
    ]


def test_it_refuses_a_handle_with_an_at_sign(organiser: Client, campaigns: list[str]) -> None:
    target = Target.objects.get(name="Nikol Pashinyan")
    url = f"/admin/campaigns/target/{target.pk}/change/"
    data = form_of(organiser, url)
    data["accounts-1-network"] = "bluesky"
    data["accounts-1-handle"] = "@nikol.bsky.social"
    response = organiser.post(url, data)
    assert response.status_code == 200
    assert "write the Bluesky handle without &#x27;@&#x27;" in response.content.decode()
    assert not TargetAccount.objects.filter(network="bluesky").exists()

    data["accounts-1-handle"] = "nikol.bsky.social"
    assert organiser.post(url, data).status_code == 302
    assert TargetAccount.objects.get(network="bluesky").handle == "nikol.bsky.social"


def test_it_checks_the_listening_section(organiser: Client, campaigns: list[str]) -> None:
    """The [listening] section as fields (not a JSON box), under the campaign file's rules."""
    url = campaign_url()
    data = form_of(organiser, url)
    assert (
        data["listen_every_minutes"] == "60"
        and "https://mastodon.social" in (data["listen_mastodon_instances"])
    )
    all_networks = ["x", "mastodon", "bluesky"]
    data["listen_networks"] = ["x", "myspace"]
    response = organiser.post(url, data)
    assert response.status_code == 200 and "myspace" in response.content.decode()
    data["listen_networks"] = all_networks
    data["listen_every_minutes"] = "99999"
    response = organiser.post(url, data)
    assert response.status_code == 200
    assert "every_minutes: Input should be less than or equal to 10080" in (
        response.content.decode()
    )
    data["listen_mastodon_instances"] = "not an address"
    data["listen_every_minutes"] = "60"
    assert "mastodon.instances.0" in organiser.post(url, data).content.decode()
    data["listen_mastodon_instances"] = "https://mastodon.social"
    data["listen_x_budget"] = "500"
    assert organiser.post(url, data).status_code == 302
    campaign = Campaign.objects.get(slug="recognize-to-reconcile")
    assert campaign.listening == {"x": {"budget": 500}}


def test_it_lets_organisers_switch_on_proof_of_work(
    organiser: Client, campaigns: list[str]
) -> None:
    url = campaign_url()
    data = form_of(organiser, url)
    data["proof_of_work"] = "on"
    data["goal"] = "5000"
    data["data_controller"] = "The organisers"
    assert organiser.post(url, data).status_code == 302
    campaign = Campaign.objects.get(slug="recognize-to-reconcile")
    assert (campaign.proof_of_work, campaign.goal, campaign.data_controller) == (
        True,
        5000,
        "The organisers",
    )


def test_it_sets_the_campaign_moment_as_a_local_time_in_a_time_zone(
    organiser: Client, campaigns: list[str]
) -> None:
    import datetime as dt

    url = campaign_url()
    data = form_of(organiser, url)
    assert data["moment_local"] == "" and data["moment_time_zone"] == ""
    data["moment_local"] = "2030-02-26 17:00:00"
    response = organiser.post(url, data)
    assert "Give both the moment and its time zone" in response.content.decode()
    data["moment_time_zone"] = "Asia/Bakuu"
    assert "is not a time zone name" in organiser.post(url, data).content.decode()
    # Berlin's clocks skip 02:00-03:00 on 31 March 2030: that hour is refused, not moved.
    data.update(moment_local="2030-03-31 02:30:00", moment_time_zone="Europe/Berlin")
    assert "does not exist in Europe/Berlin" in organiser.post(url, data).content.decode()
    data.update(moment_local="2030-02-26 17:00:00", moment_time_zone="Asia/Baku")
    assert organiser.post(url, data).status_code == 302
    campaign = Campaign.objects.get(slug="recognize-to-reconcile")
    assert campaign.moment_at == dt.datetime(2030, 2, 26, 13, tzinfo=dt.UTC)
    # Shown again as it was written, and cleared by emptying both fields.
    again = form_of(organiser, url)
    assert (again["moment_local"], again["moment_time_zone"]) == (
        "2030-02-26 17:00:00",
        "Asia/Baku",
    )
    again.update(moment_local="", moment_time_zone="")
    assert organiser.post(url, again).status_code == 302
    assert Campaign.objects.get(slug="recognize-to-reconcile").moment_at is None
