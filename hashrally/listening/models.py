from __future__ import annotations

from django.db import models

from hashrally.campaigns.models import Campaign
from hashrally.core.fields import RowIdField


class CollectionRun(models.Model):
    """One collection or import: what was asked, how far it got, and what it found.

    The checkpoint is written in the same transaction as the posts of each page, so a run that is
    killed resumes from the last page it committed.
    """

    class Status(models.TextChoices):
        RUNNING = "running"
        FINISHED = "finished"
        STOPPED = "stopped"  # stopped on purpose: budget reached, Ctrl-C
        FAILED = "failed"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="runs")
    source = models.CharField(max_length=40)  # "x", "mastodon", "import:twarc2", ...
    # What identifies "the same run" when it is started again: a query and window, or a file.
    key = models.CharField(max_length=500)
    since = models.DateTimeField(null=True, blank=True)
    until = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    checkpoint = models.JSONField(default=dict, blank=True)
    pages = models.PositiveIntegerField(default=0)
    read = models.PositiveIntegerField(default=0)
    new = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    # Posts read that carry none of the campaign's hashtags or targets, nor share a post that
    # does: kept for provenance, counted in no figure.
    off_topic = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    stop_reason = models.CharField(max_length=300, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["campaign", "source", "key", "status"], name="run_resume")]

    def __str__(self) -> str:
        return f"{self.source} run {self.pk} ({self.status})"

    def summary(self) -> dict[str, int]:
        return {
            "read": self.read,
            "new": self.new,
            "updated": self.updated,
            "duplicates": self.duplicates,
            "off_topic": self.off_topic,
            "errors": self.errors,
        }


class Author(models.Model):
    network = models.CharField(max_length=20)
    author_id = models.CharField(max_length=200)
    handle = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=300, blank=True)
    followers = models.BigIntegerField(null=True, blank=True)
    following = models.BigIntegerField(null=True, blank=True)
    posts_count = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    location = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    bot_label = models.BooleanField(null=True, blank=True)
    seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "author_id"], name="one_author_per_network")
        ]

    def __str__(self) -> str:
        return f"{self.network}:{self.handle or self.author_id}"


def _run_reference() -> models.ForeignKey[CollectionRun | None]:
    """A post's first or last run. Not indexed: nothing looks posts up by run, and two more
    indexes slowed every import (deleting a run, which is rare, scans the posts instead). Not a
    constraint in the database either: SQLite checking both references took 40 % of the posts'
    upsert in an import (bench/listening.py). Django still sets them to null when a run is
    deleted, and only the store writes them, with the run it is writing for."""
    return models.ForeignKey(
        CollectionRun,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )


class Post(models.Model):
    """A public post, stored once per (network, post id) however often it is fetched."""

    class Kind(models.TextChoices):
        ORIGINAL = "original"
        REPOST = "repost"
        REPLY = "reply"
        QUOTE = "quote"

    id = RowIdField(primary_key=True)
    network = models.CharField(max_length=20)
    post_id = models.CharField(max_length=300)
    url = models.URLField(max_length=500, blank=True)
    # The author by the network's id, not a foreign key: posts and authors arrive in any order.
    author_id = models.CharField(max_length=200)
    author_handle = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True)
    language = models.CharField(max_length=16, blank=True)
    language_detected = models.BooleanField(default=False)
    created_at = models.DateTimeField(null=True, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ORIGINAL)
    refers_to = models.CharField(max_length=300, blank=True)
    likes = models.BigIntegerField(null=True, blank=True)
    reposts = models.BigIntegerField(null=True, blank=True)
    replies = models.BigIntegerField(null=True, blank=True)
    quotes = models.BigIntegerField(null=True, blank=True)
    views = models.BigIntegerField(null=True, blank=True)
    hashtags = models.JSONField(default=list, blank=True)
    mentions = models.JSONField(default=list, blank=True)
    links = models.JSONField(default=list, blank=True)
    first_run = _run_reference()
    last_run = _run_reference()
    first_seen_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "post_id"], name="one_post_per_network")
        ]
        indexes = [
            # An author's own posts, for the report's suspect posts by bot-like authors
            # (reports/flags.py), which reads no repost: two posts in three a campaign
            # collects are reposts, and each entry costs every import (bench/listening.py).
            models.Index(
                fields=["network", "author_id"],
                condition=~models.Q(kind="repost"),
                name="post_author_own",
            ),
            # A post that arrives after its reposts and answers finds them here, so they become
            # the campaign's whatever the order of pages (listening/store.py).
            models.Index(
                fields=["network", "refers_to"],
                condition=~models.Q(refers_to=""),
                name="post_refers_to",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network}:{self.post_id}"


class PostMatch(models.Model):
    """Which of a campaign's hashtags and targets a post carries."""

    id = RowIdField(primary_key=True)
    # Not indexed on its own: the unique (campaign, network, post id) index serves lookups by
    # campaign, and one index fewer is felt by every import.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    network = models.CharField(max_length=20)
    post_id = models.CharField(max_length=300)
    hashtags = models.JSONField(default=list, blank=True)
    targets = models.JSONField(default=list, blank=True)
    # The reports' fold (reports/fold.py) counts pending matches into the campaign's figures;
    # `tally` keeps the counts it added, so a later fetch adds only the difference.
    pending = models.BooleanField(default=True)
    tally = models.JSONField(null=True, blank=True)
    # Likes, reposts, replies and quotes as last folded: a report's top posts are read through
    # the index below, not by sorting every post.
    engagement = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "network", "post_id"], name="one_match_per_campaign_post"
            )
        ]
        indexes = [
            # In id order: the fold takes the oldest pending matches without sorting them all.
            models.Index(
                fields=["campaign", "id"], condition=models.Q(pending=True), name="match_pending"
            ),
            models.Index(
                fields=["campaign", "-engagement"],
                condition=models.Q(engagement__isnull=False),
                name="match_top",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.network}:{self.post_id}"


class RawPage(models.Model):
    """A page or line as the network or file gave it, compressed, with where it came from."""

    run = models.ForeignKey(CollectionRun, on_delete=models.CASCADE, related_name="raw_pages")
    source = models.CharField(max_length=2000)  # request URL, or "file:line"
    fetched_at = models.DateTimeField()
    payload = models.BinaryField()  # zstd-compressed JSON (zlib before zstd was used)

    def __str__(self) -> str:
        return self.source[:80]

    def raw(self) -> bytes:
        from hashrally.listening.codec import decompress

        return decompress(bytes(self.payload))


class RunProblem(models.Model):
    """A page or line that could not be used: recorded with the reason, then skipped."""

    run = models.ForeignKey(CollectionRun, on_delete=models.CASCADE, related_name="problems")
    where = models.CharField(max_length=2000)
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.where}: {self.reason[:60]}"
