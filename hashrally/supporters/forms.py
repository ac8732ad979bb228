from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from hashrally.campaigns import rules
from hashrally.campaigns.models import Campaign
from hashrally.core import locales, networks
from hashrally.core.folding import fold_handle
from hashrally.supporters import consent, pow

# The networks a supporter may give their own handle on (used to find their posts later).
_MARKUP = re.compile(r"[<>{}\[\]]|://")


def _country_choices() -> list[tuple[str, str]]:
    # Per form, so names come in the page's language, sorted for it; built once per language.
    return _choices_in(get_language())


@functools.cache
def _choices_in(language: str) -> list[tuple[str, str]]:
    return [("", str(_("Choose your country"))), *locales.country_choices(language)]


# Zero-width non-joiner and joiner: a normal part of Persian, Kurdish, Indic and emoji
# spelling. Other format characters (bidi overrides, zero-width spaces) hide or reorder text.
JOINERS = frozenset("\u200c\u200d")


def clean_name(value: str) -> str:
    """A display name as people write it in their script, without characters that hide or
    reorder text, markup or addresses."""
    name = unicodedata.normalize("NFC", value).strip()
    hidden = [
        ch
        for ch in name
        if unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") and ch not in JOINERS
    ]
    if hidden or (name and not name.strip("".join(JOINERS)).strip()):
        raise forms.ValidationError(_("Your name contains invisible or control characters."))
    if _MARKUP.search(name):
        raise forms.ValidationError(_("Your name cannot contain markup or web addresses."))
    return name


class CountryField(forms.ChoiceField):
    """The country list, checked by its codes: Django's own check walks the 250 named choices
    of the page's language on every join (a fifth of a join's Python time in the spike)."""

    def valid_value(self, value: Any) -> bool:
        return value in _COUNTRY_CODES


_COUNTRY_CODES = frozenset(code for code, _name in locales.country_choices("en"))


class JoinForm(forms.Form):
    country = CountryField(label=_("Your country"), choices=_country_choices)
    display_name = forms.CharField(
        label=_("Your name (optional)"),
        required=False,
        max_length=80,
        help_text=_("Shown publicly only if you tick the box below."),
    )
    show_name = forms.BooleanField(label=_("Show my name among the supporters"), required=False)
    email = forms.EmailField(
        label=_("Your email (optional)"),
        required=False,
        max_length=254,
        help_text=_("To confirm your support; never shown, never shared."),
    )
    contact_ok = forms.BooleanField(
        label=_("The organisers may email me about this campaign"), required=False
    )
    on_leaderboard = forms.BooleanField(
        label=_("Name me among those who brought others (with the name I show)"), required=False
    )
    # Offered only while a campaign moment is ahead (removed in __init__ otherwise).
    remind_me = forms.BooleanField(
        label=_("Email me once, shortly before the campaign moment"), required=False
    )
    consent = forms.BooleanField(label="", required=True)
    # A field people never see; form-filling bots do, and give themselves away.
    website = forms.CharField(required=False, label=_("Leave this empty"))
    ref = forms.CharField(required=False, max_length=16, widget=forms.HiddenInput)
    altcha = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        # No "Label:" colons: several labels follow their checkbox.
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        if not reminders_offered(campaign):
            del self.fields["remind_me"]
        self.fields["consent"].label = consent.consent_text(campaign)
        self.fields["consent"].error_messages["required"] = _(
            "Please tick the box to give your consent; without it we cannot count your support."
        )
        for network in networks.SUPPORTER_NETWORKS:
            self.fields[f"handle_{network}"] = forms.CharField(
                label=_("Your %(network)s account (optional)")
                % {"network": networks.name(network)},
                required=False,
                max_length=120,
            )

    def clean_display_name(self) -> str:
        return clean_name(self.cleaned_data["display_name"])

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip()

    def clean_altcha(self) -> str:
        payload: str = self.cleaned_data["altcha"]
        if self.campaign.proof_of_work and not pow.verify(payload):
            raise forms.ValidationError(
                _(
                    "Your browser did not finish the anti-spam check. "
                    "Please wait a moment and send again."
                )
            )
        return payload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        handles: dict[str, str] = {}
        for network in networks.SUPPORTER_NETWORKS:
            raw = (data.get(f"handle_{network}") or "").strip()
            if not raw:
                continue
            handle = raw.removeprefix("@")
            problem = rules.check_handle(network, handle)
            if problem:
                self.add_error(
                    f"handle_{network}", _("This is not a valid handle on this network.")
                )
            else:
                handles[network] = fold_handle(handle)
        data["handles"] = handles
        if data.get("remind_me") and not data.get("email"):
            self.add_error("email", _("Give your email to get the reminder."))
        return data

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))


class MyDataForm(forms.Form):
    """Asking for the link to one's own data: Django's email rule, one message for any fault."""

    email = forms.EmailField(
        max_length=254,
        error_messages={
            "required": _("Enter the email address you joined with."),
            "invalid": _("Enter the email address you joined with."),
            "max_length": _("Enter the email address you joined with."),
        },
    )


class ProofForm(forms.Form):
    url = forms.URLField(label=_("Link to your post"), max_length=500, assume_scheme="https")

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        if networks.of_post(url) is None:
            raise forms.ValidationError(
                _(
                    "This does not look like the address of a post on X, Bluesky, Mastodon, "
                    "Threads, Facebook, Instagram, Telegram, LinkedIn, YouTube or TikTok."
                )
            )
        return url


def reminders_offered(campaign: Campaign) -> bool:
    """A campaign moment is ahead: the reminder box is worth showing."""
    return campaign.moment_at is not None and campaign.moment_at > timezone.now()


class MyRecordForm(forms.Form):
    """What a supporter may change in their own record, through the link mailed to them."""

    country = forms.ChoiceField(label=_("Your country"), choices=_country_choices)
    display_name = forms.CharField(label=_("Your name (optional)"), required=False, max_length=80)
    show_name = forms.BooleanField(label=_("Show my name among the supporters"), required=False)
    contact_ok = forms.BooleanField(
        label=_("The organisers may email me about this campaign"), required=False
    )
    remind_me = forms.BooleanField(
        label=_("Email me once, shortly before the campaign moment"), required=False
    )
    on_leaderboard = forms.BooleanField(
        label=_("Name me among those who brought others (with the name I show)"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_display_name(self) -> str:
        return clean_name(self.cleaned_data["display_name"])
