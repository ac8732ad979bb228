"""Only the owner touches a supporter's record: what a stranger can do with someone's public
handle or known email, tried as two browsers with two mailboxes on a real SMTP server."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import Client

from hashrally.campaigns.models import Campaign
from hashrally.supporters import crypto
from hashrally.supporters.mail import send_due_mail
from hashrally.supporters.models import MailJob, Supporter, SupporterHandle
from tests.supporters.fakes import SLUG, Inbox, join, link_in

pytestmark = pytest.mark.django_db
VICTIM, EVE = "victim@example.org", "eve@example.net"


def mail_to(inbox: Inbox, address: str) -> list[Any]:
    return [m for m in inbox.messages if m["To"] == address]


def confirmed_victim(inbox: Inbox, **fields: Any) -> tuple[Client, Supporter]:
    """The victim joins from their browser and confirms through the mailed link."""
    browser = Client()
    join(browser, email=VICTIM, country="AZ", display_name="Victim", **fields)
    send_due_mail()
    (mail,) = mail_to(inbox, VICTIM)
    browser.post(link_in(mail, r"http://campaign\.test/c/[\w-]+/confirm/\S+"))
    supporter = Supporter.objects.get()
    assert supporter.confirmed
    return browser, supporter


def test_it_never_hands_a_record_to_someone_joining_with_its_handle(
    campaign: Campaign, inbox: Inbox
) -> None:
    victim_browser, victim = confirmed_victim(inbox, handle_x="@VictimHandle")
    eve = Client()
    response = join(eve, email=EVE, country="FR", handle_x="victimhandle")
    assert response.status_code == 303
    # The victim's record is as it was: address, confirmation, country, handle.
    kept = Supporter.objects.get(pk=victim.pk)
    assert (kept.email_hash, kept.country, kept.display_name) == (
        victim.email_hash,
        "AZ",
        "Victim",
    )
    assert kept.confirmed and crypto.decrypt(kept.email_encrypted) == VICTIM
    assert SupporterHandle.objects.get().supporter_id == victim.pk
    # Eve has a record of her own, without the handle she claimed.
    eves = Supporter.objects.exclude(pk=victim.pk).get()
    assert not eves.handles.exists()
    send_due_mail()
    # Eve's mail is her own confirmation; its data link shows her record, not the victim's.
    (to_eve,) = mail_to(inbox, EVE)
    data = eve.get(link_in(to_eve, r"http://campaign\.test/me/\S+") + "?download=1").json()
    assert (data["email"], data["handles"], data["display_name"]) == (EVE, {}, "")
    # Every mail about the victim went to the victim.
    assert {m["To"] for m in inbox.messages} == {VICTIM, EVE}
    assert victim.ref_code not in eve.get(f"/c/{SLUG}/thanks").content.decode()
    assert victim.ref_code in victim_browser.get(f"/c/{SLUG}/thanks").content.decode()


def test_it_changes_nothing_when_a_stranger_joins_with_a_known_email(
    campaign: Campaign, inbox: Inbox
) -> None:
    confirmed_victim(inbox)
    before = Supporter.objects.values().get()
    eve = Client()
    answers = [
        join(eve, email=" Victim@EXAMPLE.org ", country="FR", display_name="Eve", contact_ok="on")
        for _ in range(3)
    ]
    # Not one field changed: consent to contact, name, country, consent version, confirmation.
    assert Supporter.objects.values().get() == before
    # The address's owner hears of it, once however often it is tried; Eve hears nothing.
    inbox.messages.clear()
    send_due_mail()
    (notice,) = inbox.messages
    assert notice["To"] == VICTIM and "Nothing was changed" in notice.get_content()
    assert "/me/" in notice.get_content()
    # Eve's answer is the one a new address gets: nobody learns that this address joined.
    stranger = Client()
    fresh = join(stranger, email="new@example.org")
    assert {a["Location"] for a in answers} == {fresh["Location"]}
    for page in (eve.get(answers[0]["Location"]), stranger.get(fresh["Location"])):
        html = page.content.decode()
        assert "We sent you an email" in html
        assert "?ref=" not in html and 'id="proof"' not in html
    assert Supporter.objects.count() == 2  # the victim, and the new address


def test_it_changes_nothing_for_a_handle_only_join_with_someone_elses_handle(
    campaign: Campaign, inbox: Inbox
) -> None:
    _, victim = confirmed_victim(inbox, handle_bluesky="victim.bsky.social")
    before = Supporter.objects.values().get()
    eve = Client()
    join(eve, country="FR", handle_bluesky="victim.bsky.social")
    assert Supporter.objects.values().get() == before  # and no second row: counted once
    assert victim.ref_code not in eve.get(f"/c/{SLUG}/thanks").content.decode()


def test_it_lets_the_owner_change_their_record_from_their_browser(
    campaign: Campaign, inbox: Inbox
) -> None:
    browser, _ = confirmed_victim(inbox)
    join(browser, email=VICTIM, country="DE", contact_ok="on", handle_x="myhandle")
    mine = Supporter.objects.get()
    assert (mine.country, mine.contact_ok, mine.confirmed) == ("DE", True, True)
    assert SupporterHandle.objects.get().supporter_id == mine.pk


def test_it_cancels_mail_for_an_address_that_is_no_longer_the_supporters(
    campaign: Campaign, inbox: Inbox
) -> None:
    join(Client(), email="old@example.org")
    supporter = Supporter.objects.get()
    # However the address came to change (an operator's fix, say), the queued mail is not
    # sent to the new one.
    supporter.email_encrypted = crypto.encrypt("new@example.org")
    supporter.email_hash = crypto.keyed_hash("email", "new@example.org")
    supporter.save()
    assert send_due_mail() == (0, 0)
    assert inbox.messages == []
    assert MailJob.objects.get().status == "cancelled"


class Refusing(Inbox):
    """A mail server that knows no such user."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        return f"550 5.1.1 <{address}>: no such user"


def test_it_fails_a_refused_mail_at_once_without_the_address_in_clear(
    campaign: Campaign, smtp_settings: Any, smtp_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    join(Client(), email="gone.person@example.org")
    controller = Controller(Refusing(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        with caplog.at_level(logging.WARNING):
            assert send_due_mail() == (0, 1)
    finally:
        controller.stop()
    job = MailJob.objects.get()
    assert (job.status, job.attempts) == ("failed", 1)  # a 550 is not retried
    assert "550" in job.last_error and "no such user" in job.last_error
    assert "gone.person" not in job.last_error and "g***@e***.org" in job.last_error
    assert "gone.person" not in caplog.text


def test_it_lets_the_owner_change_their_record_through_the_mailed_link(
    campaign: Campaign, inbox: Inbox
) -> None:
    _, victim = confirmed_victim(inbox)
    join(Client(), email=VICTIM, country="FR", contact_ok="on")  # changes nothing
    inbox.messages.clear()
    send_due_mail()
    (notice,) = inbox.messages
    mine = link_in(notice, r"http://campaign\.test/me/\S+")
    owner = Client()
    page = owner.get(mine, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Change what you entered" in page
    # Written for a person: labels and dates, not field names and stored values.
    assert "Joined" in page and "Azerbaijan" in page and VICTIM in page
    assert "joined_at" not in page and "consent_version" not in page and "True" not in page
    bad = owner.post(mine, {"update": "yes", "country": "XX"})
    assert bad.status_code == 400 and Supporter.objects.get().country == "AZ"
    saved = owner.post(
        mine,
        {"update": "yes", "country": "FR", "display_name": "V", "contact_ok": "on"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert saved.status_code == 200 and "Saved." in saved.content.decode()
    changed = Supporter.objects.get()
    assert (changed.country, changed.display_name, changed.contact_ok) == ("FR", "V", True)
    assert changed.confirmed and changed.email_hash == victim.email_hash
