"""The audit log: every organiser change (what the admin records) and every export or download
of a campaign's data, appended to campaigns.AuditEntry and never changed."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db.models import QuerySet
from django.db.models.signals import post_save
from django.http import HttpRequest

from hashrally.campaigns.models import AuditEntry, Campaign
from hashrally.core.clients import client_ip

ACTIONS = {ADDITION: "add", CHANGE: "change", DELETION: "delete"}


def record(
    request: HttpRequest | None,
    action: str,
    what: str,
    rows: int | None,
    campaigns: Campaign | QuerySet[Any] | None = None,
    *,
    user: Any = None,
) -> None:
    """Append an entry per campaign concerned (`campaigns` a campaign, or rows that each
    belong to one)."""
    user = user if user is not None else (request.user if request is not None else None)
    if isinstance(campaigns, QuerySet):
        ids = campaigns.values_list("campaign_id", flat=True).distinct().order_by()
        concerned: list[Campaign | None] = list(Campaign.objects.filter(pk__in=ids))
    else:
        concerned = [campaigns]
    for campaign in concerned or [None]:
        AuditEntry.objects.create(
            user=user if user is not None and user.is_authenticated else None,
            username=getattr(user, "username", "") or "",
            campaign=campaign,
            campaign_slug=campaign.slug if campaign else "",
            action=action,
            what=what[:2000],
            rows=rows,
            address=client_ip(request) if request is not None else "",
        )


def _campaign_of(entry: LogEntry) -> Campaign | None:
    model = entry.content_type.model_class() if entry.content_type else None
    if model is None:
        return None
    row = model._default_manager.filter(pk=entry.object_id).first()
    if isinstance(row, Campaign):
        return row
    campaign = getattr(row, "campaign", None)
    return campaign if isinstance(campaign, Campaign) else None


def _from_admin(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    """The admin writes a LogEntry for each addition, change and deletion (before a deleted
    row goes): each becomes an entry of the audit log too, with the campaign concerned."""
    if not created:
        return
    model = instance.content_type.model if instance.content_type else "?"
    message = instance.get_change_message()
    record(
        None,
        ACTIONS.get(instance.action_flag, "change"),
        f"{model} “{instance.object_repr}”" + (f": {message}" if message else ""),
        None,
        _campaign_of(instance),
        user=instance.user,
    )


def connect() -> None:
    post_save.connect(_from_admin, sender=LogEntry, dispatch_uid="hashrally-audit-admin")
