from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.utils.translation import gettext_lazy as _

from hashrally.campaigns import rules
from hashrally.core import networks


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        LIVE = "live", _("Live")
        CLOSED = "closed", _("Closed")

    slug = models.SlugField(max_length=80, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text=_("The umbrella campaign this one belongs to."),
    )
    default_language = models.CharField(max_length=16, default="en")
    # Campaign order matters: the first hashtag is the one kept when a text must be shortened.
    hashtags = models.JSONField(default=list, blank=True)
    goal = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Supporters aimed for; empty: a goal that rises in steps."),
    )
    # Who holds supporters' data and for how long: the join form's consent text names both.
    data_controller = models.CharField(max_length=200, blank=True)
    privacy_contact = models.EmailField(blank=True)
    retention_days = models.PositiveIntegerField(
        default=365, help_text=_("Days after the campaign closes before supporters are anonymised.")
    )
    proof_of_work = models.BooleanField(
        default=False, help_text=_("Ask the joining browser to solve a small puzzle (ALTCHA).")
    )
    # The campaign moment (campaigns.moment): when supporters post together, kept in UTC, and
    # the time zone the organisers wrote it in (pages, the .ics and reminders name both).
    moment_at = models.DateTimeField(null=True, blank=True)
    moment_time_zone = models.CharField(max_length=64, blank=True)
    # The [listening] section of the campaign file (hashrally.campaigns.listening.ListeningSpec).
    listening = models.JSONField(default=dict, blank=True)
    organisers = models.ManyToManyField(
        "auth.User",
        blank=True,
        related_name="campaigns",
        through="Organiser",
        help_text=_("Staff who may manage it, each in a role."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_on", "slug"]

    def __str__(self) -> str:
        return self.slug

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("campaigns:detail", args=[self.slug])

    @staticmethod
    def ancestor_ids(campaign_ids: Iterable[int]) -> list[int]:
        """These campaigns and every umbrella above them, each once, nearest first."""
        seen = list(dict.fromkeys(campaign_ids))
        frontier = list(seen)
        while frontier:
            frontier = [
                pk
                for pk in Campaign.objects.filter(pk__in=frontier).values_list(
                    "parent_id", flat=True
                )
                if pk is not None and pk not in seen
            ]
            seen += dict.fromkeys(frontier)
        return seen

    def family_ids(self) -> list[int]:
        """This campaign and every campaign below it (an umbrella's children, theirs...)."""
        ids, frontier = [self.pk], [self.pk]
        while frontier:
            frontier = [
                pk
                for pk in Campaign.objects.filter(parent_id__in=frontier).values_list(
                    "pk", flat=True
                )
                if pk not in ids
            ]
            ids += frontier
        return ids


class Organiser(models.Model):
    """A person's role in a campaign (campaigns/access.py says what each role may do)."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner: everything, including who organises and the audit log")
        EDITOR = "editor", _("Editor: edits the campaign, exports and downloads its data")
        VIEWER = "viewer", _("Viewer: the dashboard and its figures, no personal data")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE)
    user = models.ForeignKey("auth.User", on_delete=models.CASCADE)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.OWNER)

    class Meta:
        # The table the plain many-to-many field had: organisers before roles became owners.
        db_table = "campaigns_campaign_organisers"
        unique_together = [("campaign", "user")]

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class CampaignText(models.Model):
    """What a campaign says in one language."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(max_length=16)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    body = models.TextField(blank=True, help_text=_("Markdown; rendered with sanitising."))
    steps = models.JSONField(default=list, blank=True)
    image_alt = models.CharField(
        max_length=300,
        blank=True,
        help_text=_("The hero picture's description in this language; empty: the image's own."),
    )
    # Machine or volunteer translations are published but marked until a native speaker checks.
    needs_review = models.BooleanField(default=False)

    class Meta:
        ordering = ["campaign", "language"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "language"], name="one_text_per_language")
        ]

    def __str__(self) -> str:
        return f"{self.campaign.slug} [{self.language}]"


class HeroImage(models.Model):
    """The picture at the top of a campaign's page (campaigns/images.py makes its bytes)."""

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="hero")
    alt = models.CharField(
        max_length=300,
        help_text=_(
            "What the picture shows, for people who cannot see it, in the campaign's default "
            "language (each text may give its own)."
        ),
    )
    large = models.BinaryField()
    small = models.BinaryField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.alt

    @property
    def url(self) -> str:
        return f"/c/{self.campaign.slug}/hero-{self.digest[:16]}-large.jpg"

    @property
    def small_url(self) -> str:
        return f"/c/{self.campaign.slug}/hero-{self.digest[:16]}-small.jpg"

    @property
    def small_width(self) -> int:
        from hashrally.campaigns.images import SMALL_WIDTH

        return min(self.width, SMALL_WIDTH)


class MessageVariant(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="variants")
    language = models.CharField(max_length=16)
    position = models.PositiveSmallIntegerField(default=0)
    text = models.TextField(
        help_text=_("Placeholders: {hashtags}, {mentions} (the targets), {url} (this campaign).")
    )

    class Meta:
        ordering = ["campaign", "language", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "language", "position"], name="one_variant_per_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign.slug} [{self.language}] #{self.position + 1}"


class Target(models.Model):
    """A public official the campaign addresses."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=200, blank=True)
    # A path on this site (/media/... or /static/...): pages never load images from elsewhere.
    photo = models.CharField(max_length=300, blank=True, validators=[rules.validate_photo])

    class Meta:
        ordering = ["campaign", "position"]

    def __str__(self) -> str:
        return self.name

    def in_language(self, language: str) -> tuple[str, str, str]:
        """(name, role, the language they are in): this language's, else the campaign file's own
        (which is in the campaign's default language). Reads prefetched texts when there are."""
        for text in self.texts.all():
            if text.language == language:
                return (text.name or self.name, text.role or self.role, language)
        return (self.name, self.role, self.campaign.default_language)


class TargetText(models.Model):
    """A target's name and role in one more language (the official's own spelling there)."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(max_length=16)
    name = models.CharField(max_length=200, blank=True, help_text=_("Empty: the same name."))
    role = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["target", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["target", "language"], name="one_target_text_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.target} [{self.language}]"


NETWORK_CHOICES = [(n, networks.name(n)) for n in networks.ACCOUNT_NETWORKS]


class TargetAccount(models.Model):
    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="accounts")
    network = models.CharField(max_length=20, choices=NETWORK_CHOICES)
    handle = models.CharField(max_length=120, help_text=_("Without '@'; Mastodon: user@instance."))

    class Meta:
        ordering = ["target", "network"]
        constraints = [
            models.UniqueConstraint(fields=["target", "network"], name="one_account_per_network")
        ]

    def __str__(self) -> str:
        return f"{self.network}:{self.handle}"

    @property
    def profile_url(self) -> str:
        return rules.profile_url(self.network, self.handle)


class TargetPost(models.Model):
    """A post of a target that people are asked to comment under."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="posts")
    position = models.PositiveSmallIntegerField(default=0)
    network = models.CharField(max_length=20, choices=NETWORK_CHOICES)
    url = models.URLField(max_length=500)

    class Meta:
        ordering = ["target", "position"]

    def __str__(self) -> str:
        return self.url


class TargetResponse(models.Model):
    """What a target answered, as the organisers record it: a public log, on the campaign page
    and in reports. An answer is the organisers' account of it, with the address to check it."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="responses")
    date = models.DateField()
    summary = models.TextField(max_length=1000)
    url = models.URLField(max_length=500, blank=True, help_text=_("Where the answer can be read."))

    class Meta:
        ordering = ["target", "-date", "id"]

    def __str__(self) -> str:
        return f"{self.target} {self.date}"


class Endorsement(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="endorsements")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=200)
    organisation = models.CharField(max_length=300, blank=True)
    role = models.CharField(max_length=200, blank=True)
    quote = models.TextField(blank=True)
    date = models.DateField(null=True, blank=True)
    event = models.CharField(max_length=300, blank=True)
    link = models.URLField(blank=True, max_length=500)

    class Meta:
        ordering = ["campaign", "position"]

    def __str__(self) -> str:
        return self.name


class AuditQuerySet(models.QuerySet["AuditEntry"]):
    """Entries are never changed or removed through the application."""

    def update(self, **kwargs: object) -> int:
        raise PermissionError("the audit log is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("the audit log is append-only")


class AuditEntry(models.Model):
    """One organiser change or one export or download of data: who, when, what, how many rows.
    Append-only (campaigns/audit.py writes it; owners read it in the admin)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Kept as text too, so the entry still says who and which after either is deleted.
    user = models.ForeignKey("auth.User", null=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    campaign_slug = models.CharField(max_length=80, blank=True)
    action = models.CharField(max_length=20)  # add | change | delete | export | download
    what = models.TextField()
    rows = models.PositiveIntegerField(null=True, blank=True)  # None: not a list of rows
    address = models.CharField(max_length=45, blank=True)  # the organiser's, for an inquiry

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.what[:60]}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise PermissionError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("the audit log is append-only")
