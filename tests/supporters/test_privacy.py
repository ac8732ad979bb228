from __future__ import annotations

import csv
import datetime as dt
import io
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from hashrally.campaigns.models import Campaign
from hashrally.supporters import crypto
from hashrally.supporters.housekeeping import purge_ip_hashes
from hashrally.supporters.models import Supporter, SupporterHandle
from tests.fakes import log_in
from tests.supporters.fakes import join

pytestmark = pytest.mark.django_db


def raw_rows(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
        return repr(cursor.fetchall())


def test_it_stores_no_email_handle_or_address_in_clear(client: Client, campaign: Campaign) -> None:
    join(
        client,
        email="secret.person@example.org",
        handle_x="SecretHandle",
        REMOTE_ADDR="203.0.113.9",
    )
    stored = raw_rows("supporters_supporter") + raw_rows("supporters_supporterhandle")
    for secret in (
        "secret.person",
        "SecretHandle".casefold(),
        "SecretHandle",
        "203.0.113.9",
        "127.0.0.1",
    ):
        assert secret not in stored
    supporter = Supporter.objects.get()
    assert crypto.decrypt(supporter.email_encrypted) == "secret.person@example.org"
    assert supporter.ip_hash and len(supporter.ip_hash) == 16


def test_it_decrypts_with_an_older_key_after_rotation(
    settings: object, campaign: Campaign, client: Client
) -> None:
    join(client, email="rotate@example.org")
    old = list(settings.HASHRALLY_DATA_KEYS)  # type: ignore[attr-defined]
    crypto._fernet.cache_clear()
    settings.HASHRALLY_DATA_KEYS = [crypto.new_key(), *old]  # type: ignore[attr-defined]
    try:
        assert crypto.decrypt(Supporter.objects.get().email_encrypted) == "rotate@example.org"
        # The keyed hash follows the oldest key, so duplicates are still found after rotation.
        join(client, email="rotate@example.org", country="FR")
        assert Supporter.objects.count() == 1
    finally:
        crypto._fernet.cache_clear()


def test_it_drops_address_hashes_after_the_set_days(client: Client, campaign: Campaign) -> None:
    join(client)
    assert purge_ip_hashes() == 0
    later = timezone.now() + dt.timedelta(days=8)
    assert purge_ip_hashes(now=later) == 1
    assert Supporter.objects.get().ip_hash is None


def test_it_anonymises_supporters_of_long_closed_campaigns(
    client: Client, campaign: Campaign
) -> None:
    join(client, email="old@example.org", display_name="Old", show_name="on", handle_x="oldone")
    Campaign.objects.filter(pk=campaign.pk).update(
        status="closed", ends_on=dt.date.today() - dt.timedelta(days=400), retention_days=365
    )
    out = StringIO()
    call_command("privacy", "purge", stdout=out)
    assert "recognize-to-reconcile: 1 supporter(s) anonymised" in out.getvalue()
    supporter = Supporter.objects.get()
    assert (supporter.email_encrypted, supporter.email_hash, supporter.display_name) == (
        "",
        None,
        "",
    )
    assert supporter.country == "AZ" and supporter.anonymised_at is not None
    assert not SupporterHandle.objects.exists()


def test_it_keeps_supporters_within_the_retention_period(
    client: Client, campaign: Campaign
) -> None:
    join(client, email="recent@example.org")
    Campaign.objects.filter(pk=campaign.pk).update(
        status="closed", ends_on=dt.date.today() - dt.timedelta(days=10)
    )
    call_command("privacy", "purge", stdout=StringIO())
    assert Supporter.objects.get().email_hash is not None


def test_it_exports_only_consented_fields(
    client: Client, campaign: Campaign, admin_client: Client
) -> None:
    join(Client(), email="shown@example.org", display_name="Shown", show_name="on", contact_ok="on")
    join(Client(), email="hidden@example.org", display_name="Hidden", country="TR")
    Supporter.objects.update(confirmed_at=timezone.now())
    ids = list(Supporter.objects.values_list("id", flat=True))
    response = admin_client.post(
        "/admin/supporters/supporter/",
        {"action": "export_csv", "_selected_action": [str(i) for i in ids]},
    )
    assert response.status_code == 200
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    by_country = {r["country"]: r for r in rows}
    assert by_country["AZ"]["name"] == "Shown" and by_country["AZ"]["email"] == "shown@example.org"
    assert by_country["TR"]["name"] == "" and by_country["TR"]["email"] == ""


def test_it_exports_a_formula_as_text(campaign: Campaign, admin_client: Client) -> None:
    # The join form takes it as a name; written as it is, a spreadsheet would run it.
    join(Client(), display_name="=cmd|' /C calc'!A0", show_name="on")
    response = admin_client.post(
        "/admin/supporters/supporter/",
        {"action": "export_csv", "_selected_action": [str(Supporter.objects.get().pk)]},
    )
    content = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    (row,) = csv.DictReader(io.StringIO(content))
    assert row["name"] == "'=cmd\\|' /C calc'!A0"


def test_it_shows_organisers_only_their_campaigns(client: Client, campaign: Campaign) -> None:
    join(client)
    organiser = User.objects.create_user("org", password="pw-for-tests-only", is_staff=True)
    for model in ("campaign", "supporter"):
        for action in ("view", "change"):
            from django.contrib.auth.models import Permission

            perm = Permission.objects.filter(codename=f"{action}_{model}").first()
            if perm:
                organiser.user_permissions.add(perm)
    staff = Client()
    log_in(staff, organiser)
    listing = staff.get("/admin/campaigns/campaign/").content.decode()
    assert "recognize-to-reconcile" not in listing
    assert "0 supporters" in staff.get("/admin/supporters/supporter/").content.decode()
    assert staff.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").status_code == 302

    campaign.organisers.add(organiser)
    listing = staff.get("/admin/campaigns/campaign/").content.decode()
    assert "recognize-to-reconcile" in listing
    parent = Campaign.objects.get(slug="justice-for-khojaly")
    assert f"/admin/campaigns/campaign/{parent.pk}/change/" not in listing
    assert "1 supporter" in staff.get("/admin/supporters/supporter/").content.decode()
    assert staff.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").status_code == 200


def test_it_keeps_other_campaigns_drafts_and_people_from_an_organiser(
    client: Client, campaign: Campaign
) -> None:
    from django.contrib.auth.models import Permission

    other = Campaign.objects.get(slug="justice-for-khojaly")
    Campaign.objects.filter(pk=other.pk).update(status="draft")
    Campaign.objects.filter(pk=campaign.pk).update(status="draft")
    stranger = User.objects.create_user("someone-else", password="pw-for-tests-only", is_staff=True)
    other.organisers.add(stranger)
    join_other = Supporter.objects.create(
        campaign=other, country="AZ", consent_version="v", consented_at=campaign.created_at
    )
    organiser = User.objects.create_user("org", password="pw-for-tests-only", is_staff=True)
    organiser.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_campaign", "change_campaign", "view_supporter"]
        )
    )
    campaign.organisers.add(organiser)
    staff = log_in(Client(), organiser)
    # Their own draft previews; another campaign's draft is not found, nor its share links.
    assert staff.get(f"/c/{campaign.slug}/").status_code == 200
    assert staff.get(f"/c/{other.slug}/").status_code == 404
    assert staff.get(f"/c/{other.slug}/go/x").status_code == 404
    # The supporters' filter lists only their campaign; the organisers field only co-organisers.
    listing = staff.get("/admin/supporters/supporter/").content.decode()
    assert other.slug not in listing and str(join_other.public_id) not in listing
    form = staff.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").content.decode()
    assert "someone-else" not in form and ">org<" in form
