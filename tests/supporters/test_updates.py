"""Updates to supporters, through a real SMTP server: only to those who agreed to be contacted
and confirmed, in their language, at a throttled pace, with a one-click unsubscribe that only
the link's own supporter can use."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hashrally.campaigns.models import AuditEntry, Campaign, Organiser
from hashrally.supporters.mail import send_due_mail
from hashrally.supporters.models import MailJob, Supporter, Update
from hashrally.supporters.updates import do_queue_update
from tests.fakes import log_in
from tests.supporters.fakes import SLUG, Inbox

pytestmark = pytest.mark.django_db


def supporter(email: str, *, contact: bool, confirmed: bool = True, lang: str = "en") -> None:
    client = Client()
    data = {"country": "AZ", "consent": "on", "email": email}
    if contact:
        data["contact_ok"] = "on"
    assert client.post(f"/c/{SLUG}/join?lang={lang}", data).status_code == 303
    if confirmed:
        newest = Supporter.objects.order_by("-id")[:1].values("pk")
        Supporter.objects.filter(pk__in=newest).update(confirmed_at=timezone.now())


def update(campaign: Campaign) -> Update:
    news = Update.objects.create(campaign=campaign)
    news.texts.create(language="en", subject="News & next steps", body="We met the minister.")
    news.texts.create(language="ru", subject="Новости", body="Мы встретились с министром.")
    return news


def unsubscribe_link(message: Any) -> str:
    header = message["List-Unsubscribe"].strip()
    found = re.fullmatch(r"<http://campaign\.test(/stop/\S+)>", header)
    assert found, header
    return found.group(1)


def test_it_mails_only_confirmed_supporters_who_agreed_in_their_language(
    campaign: Campaign, inbox: Inbox
) -> None:
    supporter("yes@example.org", contact=True)
    supporter("ru@example.org", contact=True, lang="ru")
    supporter("no@example.org", contact=False)
    supporter("unconfirmed@example.org", contact=True, confirmed=False)
    MailJob.objects.all().delete()
    news = update(campaign)

    assert do_queue_update(news) == 2
    assert do_queue_update(news) == 0  # sent once, however often the button is pressed
    now = timezone.now() + dt.timedelta(minutes=5)
    assert send_due_mail(now=now) == (2, 0)
    by_address = {m["To"]: m for m in inbox.messages}
    assert set(by_address) == {"yes@example.org", "ru@example.org"}
    english, russian = by_address["yes@example.org"], by_address["ru@example.org"]
    # Plain text as written: "&" is not turned into "&amp;".
    assert english["Subject"] == "News & next steps"
    assert "We met the minister." in english.get_content()
    assert russian["Subject"] == "Новости" and "министром" in russian.get_content()
    assert "Чтобы больше не получать новостей" in russian.get_content()
    for message in inbox.messages:
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert unsubscribe_link(message) in message.get_content().replace(
            "http://campaign.test", ""
        )


def test_it_sends_at_the_pace_set(campaign: Campaign, inbox: Inbox, settings: Any) -> None:
    settings.HASHRALLY_UPDATES_PER_MINUTE = 2
    for n in range(5):
        supporter(f"s{n}@example.org", contact=True)
    MailJob.objects.all().delete()
    start = timezone.now()
    assert do_queue_update(update(campaign), now=start) == 5
    # Due at 0, 30, 60, 90 and 120 s; never more than two in any minute.
    assert send_due_mail(now=start) == (1, 0)
    assert send_due_mail(now=start + dt.timedelta(seconds=59)) == (1, 0)
    # At 2 min three are due, and the last minute saw none sent: two go, the third a minute on.
    assert send_due_mail(now=start + dt.timedelta(minutes=2)) == (2, 0)
    assert send_due_mail(now=start + dt.timedelta(minutes=2, seconds=30)) == (0, 0)
    assert send_due_mail(now=start + dt.timedelta(minutes=3, seconds=1)) == (1, 0)
    assert len(inbox.messages) == 5


def test_it_stops_updates_in_one_click_and_counts_it(campaign: Campaign, inbox: Inbox) -> None:
    supporter("stop@example.org", contact=True)
    supporter("stay@example.org", contact=True)
    MailJob.objects.all().delete()
    news = update(campaign)
    do_queue_update(news)
    send_due_mail(now=timezone.now() + dt.timedelta(minutes=5))
    stop = next(m for m in inbox.messages if m["To"] == "stop@example.org")
    link = unsubscribe_link(stop)

    # Opening the link (as mail scanners do) changes nothing; the one-click POST of RFC 8058,
    # without a CSRF token, does.
    client = Client(enforce_csrf_checks=True)
    assert client.get(link).status_code == 200
    assert Supporter.objects.filter(contact_ok=True).count() == 2
    response = client.post(link, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "no more updates" in response.content.decode()
    assert Supporter.objects.filter(contact_ok=True).count() == 1
    assert MailJob.objects.filter(update=news, unsubscribed_at__isnull=False).count() == 1

    # The next update reaches only the one who stayed.
    inbox.messages.clear()
    assert do_queue_update(update(campaign)) == 1
    send_due_mail(now=timezone.now() + dt.timedelta(minutes=5))
    assert [m["To"] for m in inbox.messages] == ["stay@example.org"]


def test_it_cancels_what_was_queued_for_one_who_withdrew_meanwhile(
    campaign: Campaign, inbox: Inbox
) -> None:
    supporter("withdrew@example.org", contact=True)
    MailJob.objects.all().delete()
    do_queue_update(update(campaign))
    Supporter.objects.update(contact_ok=False)  # on their data page, before their turn came
    assert send_due_mail(now=timezone.now() + dt.timedelta(minutes=5)) == (0, 0)
    assert inbox.messages == []
    assert MailJob.objects.get().status == "cancelled"


def test_it_lets_no_forged_or_altered_link_stop_anyone(campaign: Campaign, inbox: Inbox) -> None:
    supporter("a@example.org", contact=True)
    MailJob.objects.all().delete()
    do_queue_update(update(campaign))
    send_due_mail(now=timezone.now() + dt.timedelta(minutes=5))
    link = unsubscribe_link(inbox.messages[0])
    client = Client()
    for bad in ("/stop/nonsense", link[:-3] + "xyz", "/stop/" + "A" * 40):
        assert client.post(bad).status_code == 400
    assert Supporter.objects.get().contact_ok is True


def test_it_lets_only_those_who_may_export_send(
    client: Client, campaign: Campaign, admin_user: Any, inbox: Inbox
) -> None:
    from django.contrib.auth.models import Permission, User

    # What operators grant organisers (docs/security.md); the role decides per campaign.
    permissions = Permission.objects.filter(
        codename__in=["view_update", "change_update", "view_updatetext", "change_updatetext"]
    )
    supporter("x@example.org", contact=True)
    MailJob.objects.all().delete()
    news = update(campaign)
    viewer = User.objects.create_user("viewer", password="v" * 16, is_staff=True)
    viewer.user_permissions.add(*permissions)
    Organiser.objects.create(campaign=campaign, user=viewer, role=Organiser.Role.VIEWER)
    log_in(client, viewer)
    data = {"action": "send", "_selected_action": [news.pk]}
    client.post("/admin/supporters/update/", data)
    assert MailJob.objects.count() == 0 and Update.objects.get().queued_at is None

    editor = User.objects.create_user("editor", password="e" * 16, is_staff=True)
    editor.user_permissions.add(*permissions)
    Organiser.objects.create(campaign=campaign, user=editor, role=Organiser.Role.EDITOR)
    log_in(client, editor)
    client.post("/admin/supporters/update/", data)
    assert MailJob.objects.filter(kind="update").count() == 1
    assert AuditEntry.objects.filter(action="export", what=f"update {news.pk} mailed").exists()
    listing = client.get("/admin/supporters/update/").content.decode()
    assert "0 / 0 / 0 / 1 / 0 (of 1)" in listing


def test_it_keeps_the_pace_when_everything_came_due_at_once(
    campaign: Campaign, inbox: Inbox, settings: Any
) -> None:
    # Queued at two a minute, then the workers were down for an hour: all due at once.
    settings.HASHRALLY_UPDATES_PER_MINUTE = 2
    for n in range(5):
        supporter(f"late{n}@example.org", contact=True)
    MailJob.objects.all().delete()
    start = timezone.now()
    do_queue_update(update(campaign), now=start)
    later = start + dt.timedelta(hours=1)
    assert send_due_mail(now=later) == (2, 0)
    assert send_due_mail(now=later + dt.timedelta(seconds=30)) == (0, 0)
    # Sent a minute ago no longer counts against the pace.
    MailJob.objects.filter(status="sent").update(sent_at=later - dt.timedelta(minutes=2))
    assert send_due_mail(now=later + dt.timedelta(seconds=31)) == (2, 0)
