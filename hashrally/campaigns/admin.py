"""Organisers edit campaigns here, under the same rules as the campaign-file loader."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from pydantic import ValidationError as PydanticValidationError

from hashrally.campaigns import images, moment, rules
from hashrally.campaigns.access import ByRole, InlineByRole, campaigns_of, may
from hashrally.campaigns.listening import ListeningSpec
from hashrally.campaigns.models import (
    AuditEntry,
    Campaign,
    CampaignText,
    Endorsement,
    HeroImage,
    MessageVariant,
    Organiser,
    Target,
    TargetAccount,
    TargetPost,
    TargetResponse,
    TargetText,
)
from hashrally.core import networks


def _raise(problem: str | None, field: str | None = None) -> None:
    if problem:
        raise ValidationError({field: problem} if field else problem)


def _variant_problems(
    campaign: Campaign, variants: list[str], accounts: dict[int, dict[str, str]] | None = None
) -> list[str]:
    """Check variants against the campaign as it will be saved (hashtags, targets' accounts)."""
    targets = []
    for target in campaign.targets.prefetch_related("accounts") if campaign.pk else []:
        current = {a.network: a.handle for a in target.accounts.all()}
        if accounts is not None and target.pk in accounts:
            current = accounts[target.pk]
        targets.append((target.name, current))
    context = rules.share_context(
        campaign.hashtags, targets, rules.validation_url(campaign.slug, settings.SITE_URL)
    )
    problems: list[str] = []
    for number, variant in enumerate(variants, start=1):
        problems.extend(f"message {number}: {p}" for p in rules.check_variant(variant, context))
    return problems


class HashtagsField(forms.CharField):
    """Hashtags as one line of text: '#Khojaly #RecognizeToReconcile' or 'Khojaly, Other'."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return " ".join(f"#{tag}" for tag in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        tags = [rules.normalise_hashtag(t) for t in text.replace(",", " ").split() if t.strip("#")]
        problems = [p for t in tags if (p := rules.check_hashtag(t))]
        if problems:
            raise ValidationError(problems)
        if not tags:
            raise ValidationError("a campaign needs at least one hashtag")
        if rules.repeated_hashtags(tags):
            raise ValidationError("a hashtag is listed twice")
        return tags


class CampaignForm(forms.ModelForm):
    hashtags = HashtagsField(
        help_text="Space-separated; the first one is kept when a post must be shortened."
    )

    class Meta:
        model = Campaign
        fields = [
            "slug",
            "status",
            "starts_on",
            "ends_on",
            "parent",
            "default_language",
            "hashtags",
            "goal",
            "proof_of_work",
            "data_controller",
            "privacy_contact",
            "retention_days",
        ]

    # The [listening] section as fields, checked by the campaign file's own schema.
    listen_networks = forms.MultipleChoiceField(
        label="Listen on",
        choices=[(code, networks.name(code)) for code in networks.COLLECTED_NETWORKS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    listen_languages = forms.CharField(
        label="Only posts in", required=False, help_text="Language codes, e.g. en az; empty: all."
    )
    listen_since = forms.DateTimeField(label="Collect from", required=False)
    listen_until = forms.DateTimeField(label="Collect until", required=False)
    listen_every_minutes = forms.IntegerField(
        label="Collect every (minutes)", min_value=0, help_text="0: only with `hashrally collect`."
    )
    listen_mastodon_instances = forms.CharField(
        label="Mastodon servers",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One address per line, e.g. https://mastodon.social",
    )
    listen_x_budget = forms.IntegerField(label="X: posts read per run at most", min_value=1)
    listen_x_archive = forms.BooleanField(label="X: full-archive search", required=False)
    listen_bluesky_window_hours = forms.IntegerField(
        label="Bluesky: hours per search window", min_value=1
    )

    # The campaign moment as the organisers think of it: a wall-clock time where the campaign
    # is, and that place's time zone (campaigns.moment keeps it in UTC).
    moment_local = forms.DateTimeField(
        label="Campaign moment",
        required=False,
        help_text="When supporters post together (an anniversary, say), as a clock shows it in "
        "the time zone below; empty: none.",
    )
    moment_time_zone = forms.CharField(
        label="Moment's time zone", required=False, help_text="Such as Asia/Baku or Europe/Berlin."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.moment_at:
            self.initial["moment_local"] = timezone.make_aware(
                moment.local(self.instance.moment_at, self.instance.moment_time_zone)
            )
            self.initial["moment_time_zone"] = self.instance.moment_time_zone
        spec = ListeningSpec.model_validate(self.instance.listening or {})
        self._listening = spec
        self.initial.update(
            {
                "listen_networks": list(spec.networks),
                "listen_languages": " ".join(spec.languages),
                "listen_since": spec.since,
                "listen_until": spec.until,
                "listen_every_minutes": spec.every_minutes,
                "listen_mastodon_instances": "\n".join(spec.mastodon.instances),
                "listen_x_budget": spec.x.budget,
                "listen_x_archive": spec.x.archive,
                "listen_bluesky_window_hours": spec.bluesky.window_hours,
            }
        )

    def _listening_from_fields(self, data: dict[str, Any]) -> dict[str, Any] | None:
        """The section the fields describe, checked as a campaign file's is; None (with the
        errors on the form) when it is wrong. Hashtag and target overrides are kept."""
        value = self._listening.model_dump(mode="json", exclude_defaults=True)
        value.update(
            {
                # In the registry's order, so the defaults are recognised as such.
                "networks": [
                    code
                    for code in networks.COLLECTED_NETWORKS
                    if code in (data.get("listen_networks") or [])
                ],
                "languages": (data.get("listen_languages") or "").replace(",", " ").split(),
                "since": data.get("listen_since"),
                "until": data.get("listen_until"),
                "every_minutes": data.get("listen_every_minutes"),
                "mastodon": {"instances": (data.get("listen_mastodon_instances") or "").split()},
                "x": {
                    "budget": data.get("listen_x_budget"),
                    "archive": data.get("listen_x_archive"),
                },
                "bluesky": {"window_hours": data.get("listen_bluesky_window_hours")},
            }
        )
        try:
            spec = ListeningSpec.model_validate(value)
        except PydanticValidationError as exc:
            for error in exc.errors():
                where = ".".join(map(str, error["loc"]))
                field = f"listen_{where.split('.')[0]}"
                if where.startswith(("mastodon", "x.", "bluesky")):
                    field = "listen_" + "_".join(map(str, error["loc"][:2]))
                target = field if field in self.fields else None
                self.add_error(target, f"{where}: {error['msg']}")
            return None
        return spec.model_dump(mode="json", exclude_defaults=True)

    def save(self, commit: bool = True) -> Campaign:
        campaign: Campaign = super().save(commit=False)
        campaign.listening = self._checked_listening
        campaign.moment_at, campaign.moment_time_zone = self._moment
        if commit:
            campaign.save()
            self.save_m2m()
        return campaign

    def clean_default_language(self) -> str:
        value: str = self.cleaned_data["default_language"]
        _raise(rules.check_language(value))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._checked_listening = self._listening_from_fields(data) or {}
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", f"ends ({ends}) before it starts ({starts})")
        parent = data.get("parent")
        if parent is not None and self.instance.pk and parent.pk == self.instance.pk:
            self.add_error("parent", "a campaign cannot be its own parent")
        self._moment = self._moment_from_fields(data)
        return data

    def _moment_from_fields(self, data: dict[str, Any]) -> tuple[dt.datetime | None, str]:
        local, zone = data.get("moment_local"), (data.get("moment_time_zone") or "").strip()
        if local is None and not zone:
            return None, ""
        if local is None or not zone:
            missing = "moment_local" if local is None else "moment_time_zone"
            self.add_error(missing, "Give both the moment and its time zone, or neither.")
            return None, ""
        problem = moment.check_time_zone(zone)
        if problem:
            self.add_error("moment_time_zone", problem)
            return None, ""
        try:
            # The form read the clock time as UTC (the site's zone): only its wall time counts.
            return moment.to_utc(timezone.make_naive(local), zone), zone
        except ValueError as exc:
            self.add_error("moment_local", str(exc))
            return None, ""


class StepsField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        return [
            line.strip() for line in (super().to_python(value) or "").splitlines() if line.strip()
        ]


class CampaignTextForm(forms.ModelForm):
    steps = StepsField(required=False, help_text="One step per line, in order.")

    class Meta:
        model = CampaignText
        fields = ["language", "title", "summary", "body", "steps", "image_alt", "needs_review"]

    def clean_language(self) -> str:
        value: str = self.cleaned_data["language"]
        _raise(rules.check_language(value))
        return value


class CampaignTextFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        languages = [
            f.cleaned_data["language"]
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        campaign: Campaign = self.instance
        if campaign.default_language not in languages:
            raise ValidationError(
                f"add a text in the default language ({campaign.default_language})"
            )


class VariantFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        kept = [
            f.cleaned_data
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        problems = _variant_problems(self.instance, [data["text"] for data in kept])
        if problems:
            raise ValidationError(problems)
        seen = set()
        for data in kept:
            key = (data["language"], data["position"])
            if key in seen:
                raise ValidationError(f"two messages in {key[0]} have position {key[1]}")
            seen.add(key)


class CampaignTextInline(InlineByRole, admin.StackedInline):
    model = CampaignText
    form = CampaignTextForm
    formset = CampaignTextFormSet
    extra = 0


class VariantInline(InlineByRole, admin.TabularInline):
    model = MessageVariant
    formset = VariantFormSet
    extra = 0
    fields = ["language", "position", "text"]


class TargetInline(InlineByRole, admin.StackedInline):
    model = Target
    extra = 0
    fields = ["position", "name", "role", "photo", "edit_accounts"]
    readonly_fields = ["edit_accounts"]

    @admin.display(description=_("accounts, posts, other languages"))
    def edit_accounts(self, target: Target) -> str:
        if not target.pk:
            return "save first"
        url = reverse("admin:campaigns_target_change", args=[target.pk])
        handles = ", ".join(f"{a.network}:{a.handle}" for a in target.accounts.all())
        return format_html('<a href="{}">{}</a>', url, handles or "add accounts")


class HeroImageForm(forms.ModelForm):
    """An upload and its description; campaigns/images.py checks the picture and re-encodes
    it, so what is served is never the file as sent."""

    upload = forms.FileField(
        label=_("picture"),
        required=False,
        help_text=_("JPEG, PNG or WebP, at least 480 pixels wide, at most 8 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    class Meta:
        model = HeroImage
        fields = ["alt"]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        upload = data.get("upload")
        if upload:
            try:
                self.prepared = images.prepare(upload, upload.size)
            except images.ImageProblem as problem:
                self.add_error("upload", str(problem))
        elif not self.instance.pk and self.has_changed():
            self.add_error("upload", _("Choose the picture to show."))
        return data

    def save(self, commit: bool = True) -> HeroImage:
        hero: HeroImage = super().save(commit=False)
        prepared = getattr(self, "prepared", None)
        if prepared is not None:
            hero.large, hero.small = prepared.large, prepared.small
            hero.width, hero.height, hero.digest = prepared.width, prepared.height, prepared.digest
        if commit:
            hero.save()
        return hero


class HeroImageInline(InlineByRole, admin.StackedInline):
    model = HeroImage
    form = HeroImageForm
    max_num = 1
    extra = 0
    fields = ["current", "upload", "alt"]
    readonly_fields = ["current"]
    verbose_name = _("picture at the top of the page")
    verbose_name_plural = _("picture at the top of the page")

    @admin.display(description=_("now"))
    def current(self, hero: HeroImage) -> str:
        if not hero.pk:
            return "—"
        return format_html(
            '<img src="{}" alt="" width="240" style="height:auto"> {}×{}',
            hero.small_url,
            hero.width,
            hero.height,
        )


class EndorsementForm(forms.ModelForm):
    link = forms.URLField(assume_scheme="https", required=False, max_length=500)

    class Meta:
        model = Endorsement
        fields = ["position", "name", "organisation", "role", "quote", "date", "event", "link"]


class EndorsementInline(InlineByRole, admin.StackedInline):
    model = Endorsement
    form = EndorsementForm
    extra = 0


class OrganiserInline(admin.TabularInline):
    """Who organises the campaign, in which role: its owners' (and operators') to change."""

    model = Organiser
    extra = 0
    fields = ["user", "role"]

    def _owns(self, request: Any, obj: Any) -> bool:
        return obj is not None and may(request.user, "own", obj)

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return self._owns(request, obj)

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return self._owns(request, obj)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return self._owns(request, obj)

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return self._owns(request, obj)

    def formfield_for_foreignkey(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        if db_field.name == "user" and not request.user.is_superuser:
            # An owner sees (and may give a role to) only people who organise with them,
            # never the list of every account; operators add new people.
            kwargs["queryset"] = (
                get_user_model()
                .objects.filter(
                    Q(pk=request.user.pk) | Q(campaigns__in=campaigns_of(request.user, "own"))
                )
                .distinct()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Campaign)
class CampaignAdmin(ByRole):
    form = CampaignForm
    list_display = ["title", "slug", "status", "starts_on", "ends_on", "supporters", "links"]
    list_filter = ["status"]
    search_fields = ["slug", "texts__title"]
    list_select_related = ["parent", "counts"]
    inlines = [
        HeroImageInline,
        CampaignTextInline,
        VariantInline,
        TargetInline,
        EndorsementInline,
        OrganiserInline,
    ]
    campaign_path = ""
    delete_needs = "own"

    def save_model(self, request: Any, obj: Campaign, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change and not request.user.is_superuser:
            # Whoever makes a campaign owns it.
            Organiser.objects.get_or_create(
                campaign=obj, user=request.user, defaults={"role": Organiser.Role.OWNER}
            )

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).prefetch_related("texts")

    @admin.display(description="title")
    def title(self, campaign: Campaign) -> str:
        texts = {t.language: t.title for t in campaign.texts.all()}
        return texts.get(campaign.default_language) or next(iter(texts.values()), campaign.slug)

    @admin.display(description="joined / confirmed")
    def supporters(self, campaign: Campaign) -> str:
        counts = getattr(campaign, "counts", None)
        return f"{counts.joined} / {counts.confirmed}" if counts else "0 / 0"

    @admin.display(description="open")
    def links(self, campaign: Campaign) -> str:
        slug = campaign.slug
        return format_html(
            '<a href="{}">page</a> · <a href="/c/{}/dashboard">dashboard</a> · '
            '<a href="/c/{}/results">results</a>',
            campaign.get_absolute_url(),
            slug,
            slug,
        )


class TargetAccountForm(forms.ModelForm):
    class Meta:
        model = TargetAccount
        fields = ["network", "handle"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("network") and data.get("handle"):
            _raise(rules.check_handle(data["network"], data["handle"]), "handle")
        return data


class TargetAccountFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        target: Target = self.instance
        accounts = {
            f.cleaned_data["network"]: f.cleaned_data["handle"]
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        }
        variants = list(target.campaign.variants.values_list("text", flat=True))
        problems = _variant_problems(target.campaign, variants, {target.pk: accounts})
        if problems:
            raise ValidationError(
                ["With these accounts the campaign's messages no longer fit:", *problems]
            )


class TargetPostForm(forms.ModelForm):
    url = forms.URLField(assume_scheme="https", max_length=500)

    class Meta:
        model = TargetPost
        fields = ["position", "network", "url"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("network") and data.get("url"):
            _raise(rules.check_post_url(data["network"], data["url"]), "url")
        return data


class TargetAccountInline(InlineByRole, admin.TabularInline):
    campaign_path = "campaign"  # under a target's page
    model = TargetAccount
    form = TargetAccountForm
    formset = TargetAccountFormSet
    extra = 1


class TargetPostInline(InlineByRole, admin.TabularInline):
    campaign_path = "campaign"  # under a target's page
    model = TargetPost
    form = TargetPostForm
    extra = 0


class TargetResponseForm(forms.ModelForm):
    url = forms.URLField(assume_scheme="https", max_length=500, required=False)

    class Meta:
        model = TargetResponse
        fields = ["date", "summary", "url"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("url"):
            _raise(rules.check_link(data["url"]), "url")
        return data


class TargetResponseInline(InlineByRole, admin.TabularInline):
    """The public log of what the target answered, newest first, as the page shows it."""

    campaign_path = "campaign"  # under a target's page
    model = TargetResponse
    form = TargetResponseForm
    extra = 0
    verbose_name = _("answer from the target")
    verbose_name_plural = _("answers from the target (shown on the campaign page)")


class TargetTextForm(forms.ModelForm):
    class Meta:
        model = TargetText
        fields = ["language", "name", "role"]

    def clean_language(self) -> str:
        value: str = self.cleaned_data["language"].strip()
        _raise(rules.check_language(value))
        return value

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if data.get("language") and not (data.get("name") or data.get("role")):
            raise forms.ValidationError(_("Give a name or a role in this language."))
        return data


class TargetTextInline(InlineByRole, admin.TabularInline):
    campaign_path = "campaign"  # under a target's page
    model = TargetText
    form = TargetTextForm
    extra = 0
    verbose_name = _("name and role in another language")
    verbose_name_plural = _("names and roles in other languages")


@admin.register(Target)
class TargetAdmin(ByRole):
    list_display = ["name", "role", "campaign"]
    list_select_related = ["campaign"]
    fields = ["campaign", "position", "name", "role", "photo"]
    inlines = [TargetAccountInline, TargetPostInline, TargetResponseInline, TargetTextInline]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log, read only, for each campaign's owners (operators see all of it)."""

    list_display = ["at", "username", "campaign_slug", "action", "what", "rows", "address"]
    list_filter = ["action"]
    search_fields = ["username", "what", "campaign_slug"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
    show_full_result_count = False

    def get_queryset(self, request: Any) -> Any:
        entries = super().get_queryset(request)
        if request.user.is_superuser and may_audit(request.user):
            return entries
        return entries.filter(campaign__in=campaigns_of(request.user, "own"))

    def has_module_permission(self, request: Any) -> bool:
        return may_audit(request.user)

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return may_audit(request.user)

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


def may_audit(user: Any) -> bool:
    return campaigns_of(user, "own").exists()
