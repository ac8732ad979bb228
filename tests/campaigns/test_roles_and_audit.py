"""Roles per campaign checked everywhere by one helper, and the audit log of changes and
downloads, readable by owners only and never changed."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from hashrally.campaigns.models import AuditEntry, Campaign, Organiser
from hashrally.supporters.models import Supporter
from tests.fakes import log_in
from tests.supporters.fakes import SLUG, join

pytestmark = pytest.mark.django_db
PERMISSIONS = [
    "view_campaign",
    "change_campaign",
    "view_target",
    "change_target",
    "view_supporter",
    "view_resultssettings",
    "change_resultssettings",
    "add_resultssettings",
]


def member(campaign: Campaign, name: str, role: str) -> Client:
    user = User.objects.create_user(name, password="pw-for-tests-only", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=PERMISSIONS))
    Organiser.objects.create(campaign=campaign, user=user, role=role)
    return log_in(Client(), user)


@pytest.fixture
def campaign(campaigns: list[str]) -> Campaign:
    return Campaign.objects.get(slug=SLUG)


def test_it_lets_each_role_do_what_it_may(campaign: Campaign) -> None:
    join(Client(), email="someone@example.org")
    viewer, editor = member(campaign, "viewer", "viewer"), member(campaign, "editor", "editor")
    change = f"/admin/campaigns/campaign/{campaign.pk}/change/"
    dashboard = f"/c/{SLUG}/dashboard"
    export = {"action": "export_csv", "_selected_action": [str(Supporter.objects.get().pk)]}
    # A viewer: the dashboard and aggregate report, the campaign read-only; no personal data.
    assert viewer.get(dashboard).status_code == 200
    assert viewer.get(dashboard + "/report.json").status_code == 200
    assert viewer.get(dashboard + "/posts.csv").status_code == 404
    assert viewer.get(dashboard + "/authors.csv").status_code == 404
    form = viewer.get(change).content.decode()
    assert 'name="_save"' not in form  # no save button: read only
    assert viewer.post(change, {"slug": "taken-over"}).status_code == 403
    refused = viewer.post("/admin/supporters/supporter/", export, follow=True)
    assert "does not let you export" in refused.content.decode()
    # An editor: exports, and edits; the organisers' list is for owners.
    assert editor.get(dashboard + "/posts.csv").status_code == 200
    exported = editor.post("/admin/supporters/supporter/", export)
    assert exported["Content-Type"].startswith("text/csv")
    assert 'name="_save"' in editor.get(change).content.decode()
    assert "organiser_set" not in editor.get(change).content.decode()


def test_it_keeps_an_append_only_audit_log_for_owners(campaign: Campaign) -> None:
    join(Client(), email="someone@example.org")
    owner, editor = member(campaign, "owner", "owner"), member(campaign, "editor", "editor")
    editor.get(f"/c/{SLUG}/dashboard/posts.csv")
    editor.post(
        "/admin/supporters/supporter/",
        {"action": "export_csv", "_selected_action": [str(Supporter.objects.get().pk)]},
    )
    editor.post(
        "/admin/reports/resultssettings/add/", {"campaign": campaign.pk, "sections": ["posts"]}
    )
    entries = list(AuditEntry.objects.order_by("id").values_list("username", "action", "rows"))
    assert entries == [("editor", "export", 0), ("editor", "export", 1), ("editor", "add", None)]
    assert all(e.campaign_id == campaign.pk for e in AuditEntry.objects.all())
    # The owner reads it; the editor does not; nobody changes it.
    assert "supporters (CSV)" in owner.get("/admin/campaigns/auditentry/").content.decode()
    assert editor.get("/admin/campaigns/auditentry/").status_code == 403
    entry = AuditEntry.objects.first()
    assert entry is not None
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.update(what="nothing happened")
    assert owner.post(f"/admin/campaigns/auditentry/{entry.pk}/delete/").status_code == 403


def test_it_lists_campaigns_with_their_title_counts_and_links(campaign: Campaign) -> None:
    join(Client())
    from hashrally.supporters.counts import refresh_counts

    refresh_counts()
    viewer = member(campaign, "viewer", "viewer")
    listing = viewer.get("/admin/campaigns/campaign/").content.decode()
    assert "Khojaly: RecognizeToReconcile" in listing
    assert f'href="/c/{SLUG}/dashboard"' in listing and f'href="/c/{SLUG}/results"' in listing
    assert "1 / 0" in listing  # joined / confirmed
