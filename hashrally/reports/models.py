"""Pre-aggregated figures, kept up to date in the same transaction that stores posts, so the
dashboard and results page read counters instead of aggregating posts on each view."""

from __future__ import annotations

from django.db import models

from hashrally.campaigns.models import Campaign


class Figure(models.Model):
    """One counter of a campaign: (dimension, key) -> value, e.g. ("language", "az") -> 120.

    Dimensions are listed in reports/aggregates.py; docs/metrics.md defines each figure."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    dimension = models.CharField(max_length=20)
    key = models.CharField(max_length=300)
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "dimension", "key"], name="one_figure_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.dimension}:{self.key} = {self.value}"


class CampaignAuthor(models.Model):
    """An author of at least one of a campaign's posts: for unique authors and reach."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    network = models.CharField(max_length=20)
    author_id = models.CharField(max_length=200)
    posts = models.PositiveIntegerField(default=0)
    followers = models.BigIntegerField(default=0)
    first_hour = models.CharField(max_length=13, blank=True)  # "YYYY-MM-DDTHH", UTC
    # Their first and last campaign post: the posting rate of the bot-like rules, and how old
    # the account was when they joined in, read by a report without reading their posts.
    first_at = models.DateTimeField(null=True, blank=True)
    last_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=16, blank=True)  # of most of their posts
    # Estimated by the worker: "?" until then, "" when it could not be placed.
    country = models.CharField(max_length=2, default="?")
    country_method = models.CharField(max_length=10, blank=True)  # location | language | ""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "network", "author_id"], name="one_author_per_campaign"
            )
        ]
        indexes = [
            models.Index(fields=["network", "author_id"], name="campaign_author_lookup"),
            # Authors not placed yet, in id order (fold.place_authors walks them by id): with
            # (country) alone, asking for them in id order walked every author's id instead,
            # 2 s of a report at 2.5 million authors when none was left to place.
            models.Index(fields=["country", "id"], name="campaign_author_to_place_by_id"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.network}:{self.author_id}"


class CampaignText(models.Model):
    """A distinct text among a campaign's posts (equal after authenticity.normalise), kept by
    the fold with its MinHash signature and cluster of near-identical texts, so a report reads
    the clusters rather than signing every post again (reports/copies.py)."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    digest = models.CharField(max_length=32)  # authenticity.text_digest of the normalised text
    posts = models.PositiveIntegerField(default=0)
    template = models.BooleanField(default=False)  # uses one of the campaign's texts
    # Which one: its index among copies.templates (the family's variant texts, sorted).
    variant = models.SmallIntegerField(null=True, blank=True)
    # The smallest id among the texts it is near-identical to, directly or through a chain.
    cluster = models.BigIntegerField(default=0)
    first_post = models.CharField(max_length=330)  # "network:post_id", the sample's post
    signature = models.BinaryField(null=True)  # NUM_PERM uint32; none for template use

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "digest"], name="one_text_per_campaign")
        ]
        indexes = [models.Index(fields=["campaign", "cluster"], name="campaign_text_cluster")]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.digest} x{self.posts}"


class TextBucket(models.Model):
    """An LSH bucket of a campaign's texts: one row per band key and leader, the first text in
    the bucket unlike the leaders before it; a new text is compared with its buckets' leaders."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    band = models.PositiveSmallIntegerField()
    key = models.BigIntegerField()  # the band's uint64 key, read as a signed integer
    # A CampaignText id; not a foreign key, whose index every fold would keep up for nothing
    # (the rows go with their campaign).
    text = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["campaign", "key"], name="text_bucket_key")]

    def __str__(self) -> str:
        return f"{self.campaign_id} band {self.band} {self.key}"


class CampaignMinute(models.Model):
    """A minute (UTC) with campaign posts: how many, and how many whose author's account was
    new or not known when folded. The report reads these to find the only spans where a burst
    of new accounts can be (reports/flags.py), and reads the posts of those spans alone."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    minute = models.BigIntegerField()  # seconds since 1970 // 60
    posts = models.PositiveIntegerField(default=0)
    maybe_new = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "minute"], name="one_minute_per_campaign")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} minute {self.minute}: {self.posts}"


class ReportExtras(models.Model):
    """What cannot be counted incrementally (authenticity, top posts and authors, verified
    supporters): rebuilt by the worker when the campaign's posts changed, at most every few
    minutes, and read as is by the pages."""

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="+")
    data = models.JSONField(default=dict)
    built_at = models.DateTimeField(null=True, blank=True)
    posts_changed_at = models.DateTimeField(null=True, blank=True)
    # The supporters' section, recounted as soon as the worker sees supporters change (a cheap
    # grouped count), so the dashboard is as fresh as the public counter; and when.
    supporters = models.JSONField(null=True, blank=True)
    supporters_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"extras of {self.campaign_id}"


class ResultsSettings(models.Model):
    """Which sections the organiser publishes on /c/<slug>/results (none until they choose)."""

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="+")
    sections = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name_plural = "results settings"

    def __str__(self) -> str:
        return f"results of {self.campaign_id}"


class WallSettings(models.Model):
    """How the campaign's wall of posts is moderated (reports/wall.py)."""

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="+")
    # Pre-moderation (the default, also without a row): only posts an organiser approved are
    # shown. Post-moderation: every post not hidden and not flagged, as it comes.
    premoderated = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "wall settings"

    def __str__(self) -> str:
        return f"wall of {self.campaign_id}"


class WallDecision(models.Model):
    """An organiser's decision on a post, or on every post of an author, for the wall."""

    class What(models.TextChoices):
        POST = "post"
        AUTHOR = "author"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    what = models.CharField(max_length=10, choices=What.choices)
    network = models.CharField(max_length=20)
    key = models.CharField(max_length=300)  # the post id, or the author id
    shown = models.BooleanField()  # False: hidden; True: approved (shown even if flagged)
    decided_by = models.CharField(max_length=150)
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "what", "network", "key"], name="one_wall_decision"
            )
        ]

    def __str__(self) -> str:
        return f"{self.what} {self.network}:{self.key} {'shown' if self.shown else 'hidden'}"
