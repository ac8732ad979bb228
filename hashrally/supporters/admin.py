"""Organisers see supporters of the campaigns they are given, and export consented fields."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone

from hashrally.campaigns import audit
from hashrally.campaigns.access import ByRole, InlineByRole, campaigns_of
from hashrally.core import locales
from hashrally.core.csvfile import csv_lines
from hashrally.supporters import crypto, updates
from hashrally.supporters.models import (
    CampaignCounts,
    MailJob,
    Supporter,
    Update,
    UpdateText,
)

SHOWN_FIELDS: tuple[str, ...] = (
    "campaign",
    "country",
    "created_at",
    "confirmed_at",
    "consent_version",
    "consented_at",
)
EXPORT_COLUMNS = ["joined_at", "campaign", "country", "confirmed", "name", "email", "referred_by"]


def export_rows(supporters: QuerySet[Supporter]) -> Iterator[list[str]]:
    """Only what the supporter agreed to share: a name only if shown, an email only if they
    agreed to be contacted."""
    for s in supporters.select_related("campaign", "referred_by").iterator(chunk_size=2000):
        yield [
            s.created_at.isoformat(),
            s.campaign.slug,
            s.country,
            "yes" if s.confirmed_at else "no",
            s.display_name if s.show_name else "",
            crypto.decrypt(s.email_encrypted) if s.contact_ok and s.confirmed_at else "",
            s.referred_by.ref_code if s.referred_by else "",
        ]


def may_use_addresses(
    modeladmin: admin.ModelAdmin[Any], request: HttpRequest, rows: QuerySet[Any], doing: str
) -> bool:
    """Whether the person may `doing` for every campaign of these rows (the role that may
    export supporters' data); if not, they are told, and nothing is done for any."""
    if rows.exclude(campaign__in=campaigns_of(request.user, "export")).exists():
        # A viewer's role shows supporters' counts and public names, not their data.
        modeladmin.message_user(
            request,
            f"Your role in some of these campaigns does not let you {doing}.",
            messages.ERROR,
        )
        return False
    return True


@admin.register(Supporter)
class SupporterAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "campaign",
        "country_name",
        "confirmed",
        "shown_name",
        "name_hidden",
    ]
    # Only the campaigns among the rows shown: the filter must not list others' campaigns.
    list_filter = [("campaign", admin.RelatedOnlyFieldListFilter), "confirmed_at", "country"]
    list_select_related = ["campaign"]
    actions = ["export_csv", "hide_names", "show_names"]
    # Personal fields stay encrypted and out of the admin; the export is the way out.
    fields = SHOWN_FIELDS
    readonly_fields = SHOWN_FIELDS
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Supporter]:
        return super().get_queryset(request).filter(campaign__in=campaigns_of(request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="country")
    def country_name(self, supporter: Supporter) -> str:
        return f"{locales.country_name(supporter.country)} ({supporter.country})"

    @admin.display(boolean=True, description="confirmed")
    def confirmed(self, supporter: Supporter) -> bool:
        return supporter.confirmed_at is not None

    @admin.display(description="public name")
    def shown_name(self, supporter: Supporter) -> str:
        return supporter.display_name if supporter.show_name else ""

    def _names(self, request: HttpRequest, queryset: QuerySet[Supporter], hidden: bool) -> None:
        editable = queryset.filter(campaign__in=campaigns_of(request.user, "edit"))
        # updated_at too: the worker recounts the page's names when supporters change.
        done = editable.update(name_hidden=hidden, updated_at=timezone.now())
        audit.record(
            request, "change", f"{'hid' if hidden else 'showed'} public names", done, editable
        )
        self.message_user(request, f"{done} supporters' names changed on the public list.")

    @admin.action(description="Hide the selected names from the campaign's public list")
    def hide_names(self, request: HttpRequest, queryset: QuerySet[Supporter]) -> None:
        self._names(request, queryset, hidden=True)

    @admin.action(description="Show the selected names again on the public list")
    def show_names(self, request: HttpRequest, queryset: QuerySet[Supporter]) -> None:
        self._names(request, queryset, hidden=False)

    @admin.action(description="Export selected supporters as CSV (consented fields only)")
    def export_csv(
        self, request: HttpRequest, queryset: QuerySet[Supporter]
    ) -> StreamingHttpResponse | None:
        if not may_use_addresses(self, request, queryset, "export supporters"):
            return None
        audit.record(request, "export", "supporters (CSV)", queryset.count(), queryset)
        response = StreamingHttpResponse(
            csv_lines(EXPORT_COLUMNS, export_rows(queryset)), content_type="text/csv"
        )
        response["Content-Disposition"] = 'attachment; filename="supporters.csv"'
        return response


@admin.register(CampaignCounts)
class CampaignCountsAdmin(admin.ModelAdmin):
    list_display = ["campaign", "joined", "confirmed", "countries", "refreshed_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CampaignCounts]:
        return super().get_queryset(request).filter(campaign__in=campaigns_of(request.user))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(MailJob)
class MailJobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "status", "attempts", "next_attempt_at", "last_error"]
    list_filter = ["status", "kind"]
    readonly_fields = ["supporter", "kind", "status", "attempts", "next_attempt_at", "last_error"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[MailJob]:
        return (
            super()
            .get_queryset(request)
            .filter(supporter__campaign__in=campaigns_of(request.user, "export"))
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class UpdateTextInline(InlineByRole, admin.StackedInline):
    campaign_path = "campaign"  # under an update's page
    model = UpdateText
    extra = 1
    verbose_name = "text in one language"
    verbose_name_plural = "texts (each supporter gets their language, else the campaign's default)"

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        # Sent is sent: the record of what went out stays as it went.
        return super().has_change_permission(request, obj) and not (obj and obj.queued_at)

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return super().has_add_permission(request, obj) and not (obj and obj.queued_at)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and not (obj and obj.queued_at)


@admin.register(Update)
class UpdateAdmin(ByRole):
    """Updates to supporters: written by editors, sent once to those who agreed to be contacted
    (an export of their addresses in effect, so it asks the role that may export)."""

    list_display = ["__str__", "campaign", "created_at", "queued_at", "outcome"]
    list_filter = ["campaign"]
    fields = ["campaign"]
    inlines = [UpdateTextInline]
    actions = ["send"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Update]:
        jobs = "mail_jobs"
        return (
            super()
            .get_queryset(request)
            .select_related("campaign")
            .annotate(
                sent=Count(jobs, filter=Q(mail_jobs__status=MailJob.Status.SENT)),
                failed=Count(jobs, filter=Q(mail_jobs__status=MailJob.Status.FAILED)),
                cancelled=Count(jobs, filter=Q(mail_jobs__status=MailJob.Status.CANCELLED)),
                waiting=Count(jobs, filter=Q(mail_jobs__status=MailJob.Status.PENDING)),
                unsubscribed=Count(jobs, filter=Q(mail_jobs__unsubscribed_at__isnull=False)),
            )
        )

    @admin.display(description="sent / bounced / cancelled / waiting / unsubscribed")
    def outcome(self, update: Any) -> str:
        if update.queued_at is None:
            return "draft"
        return (
            f"{update.sent} / {update.failed} / {update.cancelled} / {update.waiting} / "
            f"{update.unsubscribed} (of {update.queued_to})"
        )

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and not (obj and obj.queued_at)

    @admin.action(description="Send to the supporters who agreed to be contacted (once)")
    def send(self, request: HttpRequest, queryset: QuerySet[Update]) -> None:
        if not may_use_addresses(self, request, queryset, "email their supporters"):
            return
        for update in queryset:
            queued = updates.do_queue_update(update)
            if queued:
                audit.record(
                    request, "export", f"update {update.pk} mailed", queued, update.campaign
                )
            self.message_user(
                request,
                f"“{update}”: {queued} mails queued"
                if queued
                else f"“{update}” was sent before, or has no text: nothing queued.",
            )
