"""Who may do what with a campaign: the one place every page, admin and download asks.

An organiser holds a role in each campaign they organise (campaigns.Organiser):
- viewer: the campaign's admin pages read-only, its dashboard and aggregate reports (JSON, PDF),
  its draft pages; no personal data;
- editor: as a viewer, and edits the campaign and its results page, and exports or downloads
  personal data (supporters, posts and authors as CSV);
- owner: as an editor, and says who organises it in which role, and reads its audit log.
Superusers (operators) may do everything everywhere. Nobody may do anything before the login's
second factor (django-otp).
"""

from __future__ import annotations

from typing import Any, Literal

from django.contrib import admin
from django.db.models import QuerySet

from hashrally.campaigns.models import Campaign, Organiser

Capability = Literal["view", "edit", "export", "own"]
# The roles that hold each capability.
ROLES: dict[Capability, tuple[str, ...]] = {
    "view": (Organiser.Role.VIEWER, Organiser.Role.EDITOR, Organiser.Role.OWNER),
    "edit": (Organiser.Role.EDITOR, Organiser.Role.OWNER),
    "export": (Organiser.Role.EDITOR, Organiser.Role.OWNER),
    "own": (Organiser.Role.OWNER,),
}


def verified(user: Any) -> bool:
    """Logged in with both factors: a password and a one-time code (django-otp)."""
    return bool(user.is_authenticated and getattr(user, "is_verified", lambda: False)())


def campaigns_of(user: Any, may: Capability = "view") -> QuerySet[Campaign]:
    """The campaigns on which this person may do `may`. Nothing before the login's second
    factor: a stolen password alone reads no campaign's dashboard, drafts or supporters."""
    if not verified(user):
        return Campaign.objects.none()
    if user.is_superuser:
        return Campaign.objects.all()
    if not user.is_active or not user.is_staff:
        return Campaign.objects.none()
    return Campaign.objects.filter(organiser__user=user, organiser__role__in=ROLES[may])


def may(user: Any, capability: Capability, campaign: Campaign | int | None) -> bool:
    """Whether this person may do `capability` on this campaign."""
    if campaign is None:
        return False
    pk = campaign if isinstance(campaign, int) else campaign.pk
    return campaigns_of(user, capability).filter(pk=pk).exists()


def _campaign_of(obj: Any, path: str) -> Any:
    for part in filter(None, path.split("__")):
        obj = getattr(obj, part)
    return obj


class ByRole(admin.ModelAdmin):
    """An admin of rows that belong to a campaign (`campaign_path` leads from a row to it; ""
    for a campaign itself): rows of the campaigns one may view, changed or deleted only on
    those one may edit, campaign choices only those one may edit."""

    campaign_path = "campaign"
    change_needs: Capability = "edit"
    delete_needs: Capability = "edit"

    def get_queryset(self, request: Any) -> Any:
        key = f"{self.campaign_path}__in" if self.campaign_path else "pk__in"
        return super().get_queryset(request).filter(**{key: campaigns_of(request.user, "view")})

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        campaign = _campaign_of(obj, self.campaign_path) if obj is not None else None
        return allowed and (obj is None or may(request.user, self.change_needs, campaign))

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        campaign = _campaign_of(obj, self.campaign_path) if obj is not None else None
        return allowed and (obj is None or may(request.user, self.delete_needs, campaign))

    def formfield_for_foreignkey(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        if db_field.related_model is Campaign:
            kwargs["queryset"] = campaigns_of(request.user, "edit")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class InlineByRole:
    """For inlines under a campaign's (or a campaign row's) page: read-only unless one may edit
    the campaign. `obj` is the page's row."""

    campaign_path = ""

    def _editable(self, request: Any, obj: Any) -> bool:
        return obj is None or may(request.user, "edit", _campaign_of(obj, self.campaign_path))

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return super().has_add_permission(request, obj) and self._editable(request, obj)  # type: ignore[misc]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._editable(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._editable(request, obj)  # type: ignore[misc]
