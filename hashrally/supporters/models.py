from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hashrally.campaigns.models import NETWORK_CHOICES, Campaign


def new_ref_code() -> str:
    return secrets.token_urlsafe(8)


class Supporter(models.Model):
    """One person who joined one campaign.

    Personal data is minimal: the country (required), and only if given a display name, an email
    (encrypted, with a keyed hash for finding duplicates) and handles (see SupporterHandle).
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="supporters")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ref_code = models.CharField(max_length=16, unique=True, default=new_ref_code, editable=False)
    referred_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals"
    )
    country = models.CharField(max_length=2)
    display_name = models.CharField(max_length=80, blank=True)
    show_name = models.BooleanField(default=False)
    # An organiser took the name off the public list (a joke, an insult, an impostor).
    name_hidden = models.BooleanField(default=False)
    email_encrypted = models.TextField(blank=True)
    # NULL, not "": the unique constraint must ignore supporters without an email.
    email_hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    contact_ok = models.BooleanField(
        default=False, help_text=_("Agreed that the organisers may write to them by email.")
    )
    # Agreed to be named on the public list of those whose link brought others (with the
    # name they chose to show).
    on_leaderboard = models.BooleanField(
        default=False, help_text=_("Agreed to be named among those who brought others.")
    )
    # Asked for one email shortly before the campaign moment (campaigns.moment).
    remind_me = models.BooleanField(
        default=False, help_text=_("Asked for one email shortly before the campaign moment.")
    )
    language = models.CharField(max_length=16, blank=True)
    consent_version = models.CharField(max_length=40)
    consented_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # A keyed, truncated hash of the address, kept a few days for rate-limit audits only.
    ip_hash = models.CharField(max_length=32, null=True, blank=True)  # noqa: DJ001
    anonymised_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "email_hash"],
                condition=Q(email_hash__isnull=False),
                name="one_supporter_per_email",
            )
        ]
        indexes = [
            # Counting by country reads only this index.
            models.Index(fields=["campaign", "country", "confirmed_at"], name="supporter_counts"),
            # Finding campaigns whose counts are stale.
            models.Index(fields=["campaign", "updated_at"], name="supporter_changes"),
            models.Index(fields=["created_at"], name="supporter_created"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.public_id}"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def mailable(self) -> bool:
        """A confirmed address, still theirs and not anonymised (the row, as MAILABLE asks)."""
        return (
            self.confirmed_at is not None
            and self.anonymised_at is None
            and bool(self.email_encrypted)
        )

    @property
    def country_name(self) -> str:
        from hashrally.core.locales import country_name

        return country_name(self.country)


class SupporterHandle(models.Model):
    """A supporter's own account on a network, to find their public posts later."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    supporter = models.ForeignKey(Supporter, on_delete=models.CASCADE, related_name="handles")
    network = models.CharField(max_length=20, choices=NETWORK_CHOICES)
    handle_encrypted = models.TextField()
    handle_hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "network", "handle_hash"], name="one_supporter_per_handle"
            )
        ]

    def __str__(self) -> str:
        return f"{self.network} handle of {self.supporter_id}"


class ProofOfPost(models.Model):
    """A link a supporter gave to the post they made; unverified until listening finds it."""

    supporter = models.ForeignKey(Supporter, on_delete=models.CASCADE, related_name="proofs")
    network = models.CharField(max_length=20)
    url = models.URLField(max_length=500)
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["supporter", "url"], name="one_proof_per_url")
        ]

    def __str__(self) -> str:
        return self.url


class ShareClick(models.Model):
    """One press of a share button. No personal data: campaign, network and time only.

    A row per click (never +1 on a shared row) so a spike of clicks never contends on one row;
    the worker folds them into CampaignCounts.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    network = models.CharField(max_length=20)
    # The message variant the text was composed from ("en:0": language and position), "" for
    # clicks recorded before variants were, or without one.
    variant = models.CharField(max_length=24, blank=True)
    clicked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["campaign", "network"], name="share_clicks")]

    def __str__(self) -> str:
        return f"{self.network} {self.clicked_at:%Y-%m-%d %H:%M}"


class CampaignCounts(models.Model):
    """Public counts, rebuilt from the rows by the worker; pages read only this row."""

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, primary_key=True, related_name="counts"
    )
    joined = models.PositiveIntegerField(default=0)
    confirmed = models.PositiveIntegerField(default=0)
    countries = models.PositiveIntegerField(default=0)
    # {"AZ": [joined, confirmed], ...}
    by_country = models.JSONField(default=dict)
    # {"x": clicks, ...}
    share_clicks = models.JSONField(default=dict)
    # The newest names shown on the campaign page: [[display name, country], ...]
    names = models.JSONField(default=list)
    # [[name, joins], ...]: the referrers who agreed to be named, most joins first.
    leaderboard = models.JSONField(default=list)
    # The newest supporter change these counts include; newer changes make them stale.
    source_changed_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "campaign counts"

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.joined} joined"


class Update(models.Model):
    """News from the organisers to supporters who agreed to be contacted (`contact_ok`) and
    confirmed their address: written per language (UpdateText), sent once, through the outbox,
    at a throttled pace (supporters.updates)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="updates")
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True, editable=False)
    queued_to = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        text = self.texts.first()
        return text.subject if text else f"update {self.pk}"


class UpdateText(models.Model):
    update = models.ForeignKey(Update, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(max_length=16)
    subject = models.CharField(max_length=200)
    # Plain text: mail is sent as text, so nothing in it can load or run anything.
    body = models.TextField(max_length=10000)

    class Meta:
        ordering = ["update", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["update", "language"], name="one_update_text_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} [{self.language}]"


# Supporters mail beyond the confirmation may reach (reminders, updates), as a query; each
# mail asks Supporter.mailable again when it is sent.
MAILABLE = Q(confirmed_at__isnull=False, anonymised_at__isnull=True, email_hash__isnull=False)


class MailJob(models.Model):
    """An email to send, written in the same transaction as the row it is about (an outbox).

    The worker claims due jobs, sends them and retries with growing delays, so a mail server
    that is down delays mail and loses none.
    """

    class Kind(models.TextChoices):
        CONFIRM = "confirm", _("Confirm your support")
        MY_DATA = "my_data", _("Your data")
        # A join with this address by someone else (or by them, without their cookie).
        REJOIN = "rejoin", _("Joined again")
        # Shortly before the campaign moment, to those who asked for it (supporters.reminders).
        REMINDER = "reminder", _("Reminder of the campaign moment")
        # News from the organisers (supporters.updates), to those who agreed to be contacted.
        UPDATE = "update", _("Update from the organisers")

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"
        # The supporter's address is no longer the one the job was queued for, or is gone.
        CANCELLED = "cancelled"

    supporter = models.ForeignKey(Supporter, on_delete=models.CASCADE, related_name="mail_jobs")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The address the job was queued for, encrypted, and its keyed hash: mail goes there only
    # while it is still the supporter's.
    address_encrypted = models.TextField(blank=True)
    address_hash = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Times the message was handed to the mail server, counted (and committed) before each
    # handover: more handovers than recorded outcomes means a worker died between the server's
    # acceptance and the database's update, so the next send may deliver a second copy. Mail
    # is at-least-once; such jobs are marked, and every copy carries the job's Message-ID.
    handed_over = models.PositiveSmallIntegerField(default=0)
    possibly_repeated = models.BooleanField(default=False)
    # A reminder's moment: one reminder per supporter and moment, and a moment moved since is
    # not the one the job was queued for.
    moment_at = models.DateTimeField(null=True, blank=True)
    update = models.ForeignKey(
        Update, null=True, blank=True, on_delete=models.CASCADE, related_name="mail_jobs"
    )
    # The supporter stopped updates through this mail's link (counted per update).
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="mail_due")]
        constraints = [
            # Two workers queueing reminders at once still queue one each.
            models.UniqueConstraint(
                fields=["supporter", "moment_at"],
                condition=Q(kind="reminder"),
                name="one_reminder_per_moment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.supporter_id} ({self.status})"

    @property
    def message_id(self) -> str:
        """The same on every attempt, so receiving servers (and tests) can tell a repeat."""
        from django.conf import settings

        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "hashrally"
        return f"<hashrally-mail-{self.pk}@{domain}>"


class Verification(models.Model):
    """A supporter seen posting among a campaign's collected posts: their handle wrote one, or
    the link they gave is one. Kept per campaign, since an umbrella collects more than each of
    its initiatives; written by the worker (`verification.do_verify_supporters`)."""

    class Via(models.TextChoices):
        HANDLE = "handle"
        PROOF = "proof"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    supporter = models.ForeignKey(Supporter, on_delete=models.CASCADE, related_name="verifications")
    via = models.CharField(max_length=10, choices=Via.choices)
    verified_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "supporter"], name="one_verification_per_campaign"
            )
        ]

    def __str__(self) -> str:
        return f"{self.supporter_id} in {self.campaign_id} ({self.via})"
