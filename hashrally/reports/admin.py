"""Organisers choose which sections of their results are public, and open their dashboard."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.html import format_html

from hashrally.campaigns.access import ByRole
from hashrally.reports.models import ResultsSettings
from hashrally.reports.presentation import SECTIONS


class ResultsSettingsForm(forms.ModelForm):
    sections = forms.MultipleChoiceField(
        choices=[(s, s.replace("_", " ").capitalize()) for s in SECTIONS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        # Admin help texts are HTML: an address with <slug> in it would lose the word.
        help_text="Shown on the campaign's results page (/c/SLUG/results); nothing is public "
        "until a section is chosen.",
    )

    class Meta:
        model = ResultsSettings
        fields = ["campaign", "sections"]


@admin.register(ResultsSettings)
class ResultsSettingsAdmin(ByRole):
    form = ResultsSettingsForm
    list_display = ["campaign", "published", "dashboard"]

    @admin.display(description="published sections")
    def published(self, settings: ResultsSettings) -> str:
        return ", ".join(settings.sections) or "none"

    @admin.display(description="dashboard")
    def dashboard(self, settings: ResultsSettings) -> str:
        slug = settings.campaign.slug
        return format_html('<a href="/c/{}/dashboard">dashboard</a>', slug)
