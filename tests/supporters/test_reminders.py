"""One reminder before the campaign moment, through a real SMTP server (aiosmtpd on loopback),
only to confirmed supporters who asked for it, in their language."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from hashrally.campaigns.models import Campaign
from hashrally.core import pagecache
from hashrally.supporters.actions import do_anonymise, do_update_record
from hashrally.supporters.mail import send_due_mail
from hashrally.supporters.models import MailJob, Supporter
from hashrally.supporters.reminders import queue_due_reminders
from tests.supporters.fakes import SLUG, Inbox, join

pytestmark = pytest.mark.django_db

BAKU = "Asia/Baku"  # UTC+4 all year


def set_moment(campaign: Campaign, at: dt.datetime) -> None:
    campaign.moment_at = at
    campaign.moment_time_zone = BAKU
    campaign.save()
    # Joins read the campaign from a copy kept a few seconds; this test changed it just now.
    pagecache.clear()


def joined(client: Client, email: str, *, remind: bool, confirm: bool = True, **more: str) -> None:
    response = join(client, email=email, remind_me="on" if remind else None, **more)
    assert response.status_code == 303, response.content.decode()[:500]
    if confirm:
        newest = Supporter.objects.order_by("-id")[:1].values("pk")
        Supporter.objects.filter(pk__in=newest).update(confirmed_at=timezone.now())


def test_it_reminds_those_who_asked_once_in_their_language(
    client: Client, campaign: Campaign, inbox: Inbox
) -> None:
    moment = timezone.now() + dt.timedelta(days=3)
    set_moment(campaign, moment)
    client.post(
        f"/c/{SLUG}/join?lang=ru",
        {"country": "AZ", "consent": "on", "email": "ru@example.org", "remind_me": "on"},
    )
    Supporter.objects.update(confirmed_at=timezone.now())
    send_due_mail()  # the confirmation
    inbox.messages.clear()

    # Days before: nothing yet.
    assert queue_due_reminders() == 0
    # Within the hour before: one reminder, and only one however often the worker runs.
    soon = moment - dt.timedelta(minutes=30)
    assert queue_due_reminders(now=soon) == 1
    assert queue_due_reminders(now=soon + dt.timedelta(minutes=1)) == 0
    assert send_due_mail(now=soon) == (1, 0)
    assert send_due_mail(now=soon) == (0, 0)
    (message,) = inbox.messages
    assert message["To"] == "ru@example.org"
    body = message.get_content()
    # Russian, on the campaign's clock, with the page to post from (and nothing posted).
    assert "Момент кампании" in body and re.search("[А-Яа-я]", message["Subject"])
    local = moment.astimezone(dt.timezone(dt.timedelta(hours=4)))
    assert f"{local:%H:%M}" in body and "UTC+04:00" in body
    assert f"http://campaign.test/c/{SLUG}/" in body
    assert MailJob.objects.get(kind="reminder").moment_at == moment


def test_it_reminds_nobody_who_did_not_ask_or_is_not_confirmed(
    client: Client, campaign: Campaign, inbox: Inbox
) -> None:
    moment = timezone.now() + dt.timedelta(minutes=30)
    set_moment(campaign, moment)
    joined(client, "asked@example.org", remind=True)
    joined(Client(), "silent@example.org", remind=False)
    joined(Client(), "unconfirmed@example.org", remind=True, confirm=False)
    anonymised = Client()
    joined(anonymised, "gone@example.org", remind=True)
    newest = Supporter.objects.order_by("-id").first()
    assert newest is not None
    do_anonymise(Supporter.objects.filter(pk=newest.pk))
    MailJob.objects.all().delete()  # the confirmations are not what this test is about

    assert queue_due_reminders() == 1
    send_due_mail()
    assert [m["To"] for m in inbox.messages] == ["asked@example.org"]


def test_it_sends_no_reminder_to_one_who_unticked_the_box_since(
    client: Client, campaign: Campaign, inbox: Inbox
) -> None:
    set_moment(campaign, timezone.now() + dt.timedelta(minutes=30))
    joined(client, "changed@example.org", remind=True)
    MailJob.objects.all().delete()
    assert queue_due_reminders() == 1
    supporter = Supporter.objects.get()
    do_update_record(
        supporter,
        {
            "country": supporter.country,
            "display_name": "",
            "show_name": False,
            "contact_ok": False,
            "remind_me": False,
            "on_leaderboard": False,
        },
    )
    assert send_due_mail() == (0, 0)
    assert inbox.messages == []
    assert MailJob.objects.get().status == "cancelled"


def test_it_sends_no_reminder_for_a_moment_moved_or_passed(
    client: Client, campaign: Campaign, inbox: Inbox
) -> None:
    moment = timezone.now() + dt.timedelta(minutes=30)
    set_moment(campaign, moment)
    joined(client, "late@example.org", remind=True)
    MailJob.objects.all().delete()
    assert queue_due_reminders() == 1
    # The mail server was down until after the moment: a late reminder is noise.
    assert send_due_mail(now=moment + dt.timedelta(minutes=5)) == (0, 0)
    assert inbox.messages == []
    # Moved to a later day: that is another moment, reminded in its own hour.
    later = moment + dt.timedelta(days=1)
    set_moment(campaign, later)
    assert queue_due_reminders(now=later - dt.timedelta(minutes=10)) == 1
    assert send_due_mail(now=later - dt.timedelta(minutes=10)) == (1, 0)


def test_it_offers_the_reminder_only_while_a_moment_is_ahead_and_with_an_email(
    client: Client, campaign: Campaign
) -> None:
    page = client.get(f"/c/{SLUG}/join?lang=en").content.decode()
    assert 'name="remind_me"' not in page
    set_moment(campaign, timezone.now() + dt.timedelta(days=2))
    page = client.get(f"/c/{SLUG}/join?lang=en").content.decode()
    assert 'name="remind_me"' in page and "shortly before the campaign moment" in page
    response = join(client, remind_me="on")
    assert response.status_code == 400
    assert "Give your email to get the reminder." in response.content.decode()
    assert not Supporter.objects.exists()
    # A box ticked on a campaign without a moment ahead is not stored.
    set_moment(campaign, timezone.now() - dt.timedelta(days=1))
    join(Client(), email="past@example.org", remind_me="on")
    assert Supporter.objects.get().remind_me is False
