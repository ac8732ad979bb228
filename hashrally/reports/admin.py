"""Organisers choose which sections of their results are public, and open their dashboard."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from hashrally.campaigns.access import campaigns_of
from hashrally.reports.models import ResultsSettings
from hashrally.reports.presentation import SECTIONS


class ResultsSettingsForm(forms.ModelForm):
    sections = forms.MultipleChoiceField(
        choices=[(s, s.capitalize()) for s in SECTIONS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Shown on /c/<slug>/results; nothing is public until a section is chosen.",
    )

    class Meta:
        model = ResultsSettings
        fields = ["campaign", "sections"]


@admin.register(ResultsSettings)
class ResultsSettingsAdmin(admin.ModelAdmin):
    form = ResultsSettingsForm
    list_display = ["campaign", "published", "dashboard"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ResultsSettings]:
        return super().get_queryset(request).filter(campaign__in=campaigns_of(request.user))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "campaign":
            kwargs["queryset"] = campaigns_of(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="published sections")
    def published(self, settings: ResultsSettings) -> str:
        return ", ".join(settings.sections) or "none"

    @admin.display(description="dashboard")
    def dashboard(self, settings: ResultsSettings) -> str:
        slug = settings.campaign.slug
        return format_html('<a href="/c/{}/dashboard">dashboard</a>', slug)
