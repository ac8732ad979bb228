from __future__ import annotations

import pytest
from django.test import Client, override_settings

from hashrally.campaigns.models import Campaign
from hashrally.supporters.models import MailJob, ProofOfPost, Supporter, SupporterHandle
from tests.supporters.fakes import JOIN, SLUG, join, solve

pytestmark = pytest.mark.django_db


def test_it_shows_the_join_page_with_labelled_fields(client: Client, campaign: Campaign) -> None:
    response = client.get(JOIN, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_country">' in html
    assert "special-category data" in html
    assert '<option value="AZ">Azerbaijan</option>' in html


def test_it_names_countries_in_the_page_language(client: Client, campaign: Campaign) -> None:
    html = client.get(JOIN + "?lang=ru").content.decode()
    assert '<option value="AZ">Азербайджан</option>' in html


def test_it_records_a_join_and_thanks(client: Client, campaign: Campaign) -> None:
    response = join(client, country="TR", display_name="Ayşe", show_name="on")
    assert response.status_code == 303
    assert response["Location"] == f"/c/{SLUG}/thanks"
    supporter = Supporter.objects.get()
    assert (supporter.country, supporter.display_name, supporter.show_name) == ("TR", "Ayşe", True)
    assert supporter.confirmed_at is None
    assert supporter.consent_version.startswith("2026-11/")
    assert not MailJob.objects.exists()
    thanks = client.get(response["Location"]).content.decode()
    assert f"?ref={supporter.ref_code}" in thanks
    assert "/go/" in client.get(f"/c/{SLUG}/").content.decode()


def test_it_queues_a_confirmation_mail_with_the_row(client: Client, campaign: Campaign) -> None:
    response = join(client, email="Someone@Example.org")
    supporter = Supporter.objects.get()
    assert MailJob.objects.get().supporter == supporter
    assert "someone@example.org" not in supporter.email_encrypted
    assert supporter.email_hash and len(supporter.email_hash) == 64
    thanks = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "open the link in it to confirm" in thanks
    # The record is handed to a browser through the link in the mail, not before.
    assert supporter.ref_code not in thanks


def test_it_joins_the_same_email_once(client: Client, campaign: Campaign) -> None:
    first = join(client, email="a@example.org", country="AZ")
    second = join(Client(), email=" A@EXAMPLE.org ", country="DE", display_name="Again")
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    # One supporter, as first given: a join with a known email changes nothing
    # (tests/supporters/test_ownership.py), and mails its owner a link to change it.
    supporter = Supporter.objects.get()
    assert (supporter.country, supporter.display_name) == ("AZ", "")
    assert sorted(MailJob.objects.values_list("kind", flat=True)) == ["confirm", "rejoin"]


def test_it_joins_the_same_handle_once(client: Client, campaign: Campaign) -> None:
    join(client, handle_x="@SomeOne")
    # The same browser again: its own record changes.
    join(client, handle_x="someone", country="FR")
    assert Supporter.objects.get().country == "FR"
    # Another browser with that handle: nothing changes, and nobody is counted twice.
    join(Client(), handle_x="someone", country="DE")
    assert Supporter.objects.get().country == "FR"
    assert SupporterHandle.objects.count() == 1
    assert "someone" not in SupporterHandle.objects.get().handle_encrypted


@pytest.mark.parametrize(
    "name",
    [
        "\u0645\u0647\u200c\u0633\u0627",  # Persian Mehsa: a zero-width non-joiner inside
        "\u0928\u094d\u200d\u0928",  # Devanagari with a zero-width joiner
        "Ay\u015fe \U0001f469\u200d\U0001f4bb",  # an emoji sequence joined by ZWJ
    ],
)
def test_it_accepts_names_with_the_joiners_real_scripts_use(
    client: Client, campaign: Campaign, name: str
) -> None:
    assert join(client, display_name=name).status_code == 303
    assert Supporter.objects.get().display_name == name


def test_it_credits_the_referrer(client: Client, campaign: Campaign) -> None:
    join(client)
    referrer = Supporter.objects.get()
    join(Client(), ref=referrer.ref_code, country="GE")
    assert Supporter.objects.get(country="GE").referred_by == referrer


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"country": "XX"}, "country", "valid choice"),
        ({"country": ""}, "country", "required"),
        ({"consent": None}, "consent", "consent"),
        ({"display_name": "x" * 10_000}, "display_name", "at most 80"),
        ({"display_name": "<b>Boss</b>"}, "display_name", "markup"),
        ({"display_name": "see https://spam.example"}, "display_name", "markup"),
        ({"display_name": "A\u202eB"}, "display_name", "invisible"),
        ({"display_name": "\u200c\u200d"}, "display_name", "invisible"),
        ({"display_name": "Ali\u200bReza"}, "display_name", "invisible"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"handle_x": "has space"}, "handle_x", "not a valid handle"),
        ({"handle_mastodon": "nobody"}, "handle_mastodon", "not a valid handle"),
    ],
)
def test_it_names_the_bad_field_and_stores_nothing(
    client: Client, campaign: Campaign, fields: dict[str, str | None], field: str, words: str
) -> None:
    response = join(client, **fields)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and words in " ".join(errors[field]), errors
    assert not Supporter.objects.exists()


def test_it_answers_in_the_page_language(client: Client, campaign: Campaign) -> None:
    response = client.post(JOIN + "?lang=ru", {"country": "", "consent": "on"})
    assert response.status_code == 400
    assert "Обязательное поле" in response.content.decode()


def test_it_refuses_a_missing_or_wrong_csrf_token(campaign: Campaign) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(JOIN, {"country": "AZ", "consent": "on"})
    assert response.status_code == 403
    assert "expired" in response.content.decode()
    client.get(JOIN)
    response = client.post(
        JOIN, {"country": "AZ", "consent": "on", "csrfmiddlewaretoken": "x" * 64}
    )
    assert response.status_code == 403
    assert not Supporter.objects.exists()


def test_it_accepts_the_csrf_token_from_its_own_form(campaign: Campaign) -> None:
    client = Client(enforce_csrf_checks=True)
    token = client.get(JOIN).context["csrf_token"]
    response = client.post(
        JOIN, {"country": "AZ", "consent": "on", "csrfmiddlewaretoken": str(token)}
    )
    assert response.status_code == 303


def test_it_refuses_an_oversized_body(client: Client, campaign: Campaign) -> None:
    response = client.post(JOIN, {"country": "AZ", "consent": "on", "display_name": "x" * 200_000})
    assert response.status_code == 400
    assert not Supporter.objects.exists()


def test_it_pretends_to_accept_a_bot_and_stores_nothing(client: Client, campaign: Campaign) -> None:
    response = join(client, website="http://spam.example")
    assert response.status_code == 303
    assert not Supporter.objects.exists()


@override_settings(HASHRALLY_JOIN_RATE="3/h", RATELIMIT_ENABLE=True)
def test_it_limits_joins_per_address(client: Client, campaign: Campaign) -> None:
    # Five browsers behind one address (each holds no record, so each join is a new one).
    statuses = [join(Client(), country="AZ").status_code for _ in range(5)]
    assert statuses == [303, 303, 303, 429, 429]
    assert Supporter.objects.count() == 3


def test_it_refuses_joins_to_a_closed_campaign(client: Client, campaign: Campaign) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(status="closed")
    assert join(client).status_code == 404
    assert not Supporter.objects.exists()


def test_it_requires_proof_of_work_when_switched_on(client: Client, campaign: Campaign) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(proof_of_work=True)
    assert join(client).status_code == 400
    challenge = client.get(f"/c/{SLUG}/altcha").json()
    payload = solve(challenge)
    assert join(client, altcha=payload).status_code == 303
    # One answer, one join: a replayed solution is refused.
    assert join(client, altcha=payload, country="FR").status_code == 400
    assert Supporter.objects.count() == 1


@pytest.mark.parametrize(
    ("url", "network"),
    [
        ("https://x.com/someone/status/1234567890", "x"),
        ("https://bsky.app/profile/me.bsky.social/post/3kabc123", "bluesky"),
        ("https://mastodon.social/@me/112233445566", "mastodon"),
    ],
)
def test_it_stores_a_link_to_the_post_as_unverified_proof(
    client: Client, campaign: Campaign, url: str, network: str
) -> None:
    join(client)
    response = client.post(f"/c/{SLUG}/proof", {"url": url})
    assert response.status_code == 303
    proof = ProofOfPost.objects.get()
    assert (proof.url, proof.network, proof.verified_at) == (url, network, None)


def test_it_refuses_a_link_that_is_not_a_post(client: Client, campaign: Campaign) -> None:
    join(client)
    response = client.post(f"/c/{SLUG}/proof", {"url": "https://example.org/blog"})
    assert response.status_code == 400
    assert not ProofOfPost.objects.exists()
    assert Client().post(f"/c/{SLUG}/proof", {"url": "https://x.com/a/status/1"}).status_code == 400


def test_it_counts_share_clicks_without_personal_data(client: Client, campaign: Campaign) -> None:
    from hashrally.supporters.models import ShareClick

    client.get(f"/c/{SLUG}/go/x", {"v": "0"})
    client.get(f"/c/{SLUG}/go/bluesky", {"v": "0"})
    assert sorted(ShareClick.objects.values_list("network", flat=True)) == ["bluesky", "x"]
    # The message variant pressed (which text worked), never who pressed it.
    assert {f.name for f in ShareClick._meta.get_fields()} == {
        "id",
        "campaign",
        "network",
        "variant",
        "clicked_at",
    }
    assert set(ShareClick.objects.values_list("variant", flat=True)) == {"en:0"}
