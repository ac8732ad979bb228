"""The consent a supporter gives, and its version stored with them."""

from __future__ import annotations

import hashlib

from django.utils.translation import gettext as _

from hashrally.campaigns.models import Campaign

# Bump when the wording below changes meaning; the version stored with each supporter then
# tells which text they agreed to.
CONSENT_TEXT_ID = "2026-11"


def controller_of(campaign: Campaign) -> str:
    name = campaign.data_controller or _("the organisers of this campaign")
    if campaign.privacy_contact:
        return f"{name} ({campaign.privacy_contact})"
    return name


def consent_text(campaign: Campaign) -> str:
    return _(
        "I support this campaign. I agree that %(controller)s may keep what I enter here to "
        "count my support and, if I give my email, to confirm it. Supporting a political campaign "
        "reveals a political opinion, which the GDPR treats as special-category data: this is "
        "my explicit consent. My data is kept until %(days)s days after the campaign ends and "
        "then anonymised; I can download or erase it at any time."
    ) % {"controller": controller_of(campaign), "days": campaign.retention_days}


def consent_version(campaign: Campaign) -> str:
    """Language-independent: the text's id plus what fills it in."""
    filled = f"{campaign.data_controller}|{campaign.privacy_contact}|{campaign.retention_days}"
    return f"{CONSENT_TEXT_ID}/{hashlib.sha256(filled.encode()).hexdigest()[:8]}"
