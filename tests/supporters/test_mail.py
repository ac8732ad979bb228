from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any
from unittest import mock

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from hashrally.campaigns.models import Campaign
from hashrally.supporters.mail import send_due_mail
from hashrally.supporters.models import MailJob, Supporter
from tests.supporters.fakes import SLUG, Inbox, join, link_in

pytestmark = pytest.mark.django_db


def test_it_mails_a_link_that_confirms(client: Client, campaign: Campaign, inbox: Inbox) -> None:
    join(client, email="me@example.org", country="AZ")
    assert send_due_mail() == (1, 0)
    (message,) = inbox.messages
    assert message["To"] == "me@example.org"
    assert "Khojaly" in message["Subject"]
    confirm = link_in(message, r"http://campaign\.test/c/[\w-]+/confirm/\S+")

    # Opening the link (as mail scanners do) shows a button and confirms nothing.
    page = client.get(confirm)
    assert page.status_code == 200
    assert Supporter.objects.get().confirmed_at is None
    confirmed = client.post(confirm)
    assert confirmed.status_code == 200
    assert Supporter.objects.get().confirmed_at is not None
    # Not a bare thank-you: what to do next, and the browser now holds the record.
    html = confirmed.content.decode()
    assert f"/c/{SLUG}/thanks#ref-h" in html and "post from your own account" in html
    assert Supporter.objects.get().ref_code in client.get(f"/c/{SLUG}/thanks").content.decode()
    assert MailJob.objects.get().status == "sent"


def test_it_writes_in_the_supporters_language(
    client: Client, campaign: Campaign, inbox: Inbox
) -> None:
    client.post(
        f"/c/{SLUG}/join?lang=ru", {"country": "AZ", "consent": "on", "email": "ru@example.org"}
    )
    send_due_mail()
    assert re.search("[А-Яа-я]", inbox.messages[0].get_content())


def test_it_keeps_mail_when_the_server_is_down(
    client: Client, campaign: Campaign, smtp_settings: Any, smtp_port: int
) -> None:
    join(client, email="later@example.org")
    assert send_due_mail() == (0, 1)
    job = MailJob.objects.get()
    assert (job.status, job.attempts) == ("pending", 1)
    assert "Connection refused" in job.last_error or "Errno" in job.last_error
    # Not due yet: the worker waits before trying again.
    assert send_due_mail() == (0, 0)

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        assert send_due_mail(now=timezone.now() + dt.timedelta(minutes=5)) == (1, 0)
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    assert MailJob.objects.get().status == "sent"


def test_it_gives_up_after_the_last_attempt(
    client: Client, campaign: Campaign, smtp_settings: Any
) -> None:
    smtp_settings.HASHRALLY_MAIL_MAX_ATTEMPTS = 2
    join(client, email="never@example.org")
    now = timezone.now()
    send_due_mail(now=now)
    send_due_mail(now=now + dt.timedelta(hours=2))
    assert MailJob.objects.get().status == "failed"


def test_it_lets_supporters_download_and_erase_their_data(
    client: Client, campaign: Campaign, inbox: Inbox
) -> None:
    join(client, email="mine@example.org", display_name="Mine", handle_bluesky="mine.bsky.social")
    send_due_mail()
    inbox.messages.clear()

    response = client.post(f"/c/{SLUG}/my-data", {"email": "MINE@example.org"})
    assert response.status_code == 200
    unknown = client.post(f"/c/{SLUG}/my-data", {"email": "nobody@example.org"})
    assert unknown.content == response.content  # nobody learns who joined
    send_due_mail()
    (message,) = inbox.messages
    mine = link_in(message, r"http://campaign\.test/me/\S+")

    data = client.get(mine + "?download=1").json()
    assert data["email"] == "mine@example.org"
    assert data["handles"] == {"bluesky": "mine.bsky.social"}
    assert data["display_name"] == "Mine"

    assert client.post(mine, {"erase": "yes"}).status_code == 200
    assert not Supporter.objects.exists()
    assert client.get(mine).status_code == 404


def test_it_expires_data_links(client: Client, campaign: Campaign, inbox: Inbox) -> None:
    join(client, email="exp@example.org")
    send_due_mail()
    from_confirmation = link_in(inbox.messages[0], r"http://campaign\.test/me/\S+")
    client.post(f"/c/{SLUG}/my-data", {"email": "exp@example.org"})
    send_due_mail()
    requested = link_in(inbox.messages[1], r"http://campaign\.test/me/\S+")
    in_three_days = time.time() + 3 * 24 * 3600
    with mock.patch("time.time", return_value=in_three_days):
        assert client.get(requested).status_code == 404
        assert client.get(from_confirmation).status_code == 200
    with mock.patch("time.time", return_value=time.time() + 31 * 24 * 3600):
        assert client.get(from_confirmation).status_code == 404


def test_it_refuses_forged_links(client: Client, campaign: Campaign) -> None:
    assert client.get(f"/c/{SLUG}/confirm/forged").status_code == 400
    assert client.get("/me/forged").status_code == 404


def test_it_runs_one_worker_round_from_the_command_line(
    client: Client, campaign: Campaign, inbox: Inbox
) -> None:
    join(client, email="cmd@example.org")
    call_command("worker", "--once")
    assert len(inbox.messages) == 1
    assert campaign.__class__.objects.get(pk=campaign.pk).counts.joined == 1
