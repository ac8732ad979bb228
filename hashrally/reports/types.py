"""The report's shape: what the builder fills, the pages and documents show, and JSON holds.

A report is a plain dict (JSON as it is, keys in the order written), typed here so mypy checks
the builder (assemble.py, extras.py), the presentation and the tests against one definition.
docs/metrics.md defines each figure. Keys that are Python keywords ("from") make some types use
TypedDict's functional form.
"""

from __future__ import annotations

from typing import TypedDict


class CampaignSummary(TypedDict):
    slug: str
    title: str
    umbrella: bool
    children: list[str]


# The collection window: the first and last hour with a post, ISO 8601 (None: no posts).
Window = TypedDict("Window", {"from": str | None, "to": str | None})

# One source (a network, or "import:<format>"): its runs, posts read, of them those that were
# not the campaign's (off-topic, counted in no figure), the pages or lines refused, and the span
# covered.
Source = TypedDict(
    "Source",
    {
        "source": str,
        "runs": int,
        "posts_read": int,
        "posts_off_topic": int,
        "refused": int,
        "from": str | None,
        "to": str | None,
    },
)


class CountryCounts(TypedDict):
    joined: int
    confirmed: int
    verified: int


class Supporters(TypedDict):
    joined: int
    confirmed: int
    verified: int
    by_country: dict[str, CountryCounts]


class SupportersSection(Supporters):
    """Supporters as the extras keep them: with joins per day and hour for the timeline."""

    joins_by_day: dict[str, int]
    joins_by_hour: dict[str, int]


class HashtagCount(TypedDict):
    hashtag: str
    posts: int


class Posts(TypedDict):
    total: int
    originals: int
    reposts: int
    replies: int
    quotes: int
    by_network: dict[str, int]
    by_language: dict[str, int]
    hashtags: list[HashtagCount]


class AuthorCountries(TypedDict):
    by_country: dict[str, int]
    by_method: dict[str, int]
    unplaced: int
    unplaced_share: float
    method: str


class TopAuthor(TypedDict):
    network: str
    handle: str
    name: str
    followers: int
    posts: int


class Authors(TypedDict):
    unique: int
    by_network: dict[str, int]
    potential_reach: int
    potential_impressions: int
    views: int | None  # None: no network reported views for these posts
    posts_with_views: int
    countries: AuthorCountries
    top: list[TopAuthor]


class Engagement(TypedDict):
    likes: int
    reposts: int
    replies: int
    quotes: int


class TopPost(TypedDict):
    network: str
    url: str
    author: str
    text: str
    created_at: str | None
    likes: int
    reposts: int
    replies: int
    quotes: int


class TargetCounts(TypedDict):
    name: str
    total: int
    by_network: dict[str, int]
    # Posts mentioning the target per day (UTC) and network: outreach over time.
    by_day: dict[str, dict[str, int]]


class TargetResponseEntry(TypedDict):
    """What a target answered, as the organisers recorded it (not a collected figure)."""

    target: str
    date: str
    summary: str
    url: str


class MomentFigures(TypedDict):
    """The campaign moment against the rest of the collection window, in posts per minute."""

    at: str
    time_zone: str
    hour_posts: int  # posts in the 60 minutes from the moment
    hour_minutes: int  # of those 60 minutes, the ones inside the window
    rest_posts: int
    rest_minutes: int
    times_the_rest: float | None  # posts per minute in the hour over the rest's; None: no rest


class VariantFigures(TypedDict):
    campaign: str
    language: str
    position: int
    text: str
    clicks: int  # share buttons pressed with this variant's text
    posts: int  # the campaign's posts that follow it (0.5 or more alike, MinHash)


class Referrer(TypedDict):
    name: str
    joins: int


class WhatWorked(TypedDict):
    clicks_by_network: dict[str, int]
    variants: list[VariantFigures]
    referral_joins: int  # joins through a supporter's personal link
    referrers: int  # supporters whose link brought at least one
    leaderboard: list[Referrer]  # only those who agreed to be named


class DayCounts(TypedDict):
    date: str
    posts: int
    authors: int
    joins: int


class HourCounts(TypedDict):
    hour: str
    posts: int
    authors: int
    joins: int


class SuspectCluster(TypedDict):
    posts: int
    sample: str


class BurstWindow(TypedDict):
    start: str
    end: str
    posts: int
    new_account_posts: int


class Authenticity(TypedDict):
    bot_like_authors: int
    bot_like_posts: int
    bot_like_reasons: dict[str, int]
    template_posts: int
    suspect_cluster_posts: int
    suspect_clusters: list[SuspectCluster]
    bursts: int
    burst_windows: list[BurstWindow]


class FlaggedAuthenticity(Authenticity):
    """Authenticity as the extras keep it: with what the headline leaves out."""

    flagged_posts: int
    flagged_authors: int
    flagged_reach: int


class HeadlineFigures(TypedDict):
    posts: int
    authors: int
    potential_reach: int


class Headline(TypedDict):
    with_flagged: HeadlineFigures
    without_flagged: HeadlineFigures


class Report(TypedDict):
    """Every figure of a campaign, as `hashrally report` writes it (JSON)."""

    campaign: CampaignSummary
    generated_at: str
    window: Window
    sources: list[Source]
    supporters: Supporters
    posts: Posts
    authors: Authors
    engagement: Engagement
    top_posts: list[TopPost]
    targets: dict[str, TargetCounts]
    target_responses: list[TargetResponseEntry]
    moment: MomentFigures | None
    what_worked: WhatWorked
    timeline: list[DayCounts]
    timeline_hourly: list[HourCounts]
    authenticity: Authenticity
    headline: Headline
    dataset_sha256: str


class DashboardReport(Report):
    """The report the pages read: from counters and the worker's extras, built when."""

    built_at: str | None  # when the worker last rebuilt the extras; None: not yet
    supporters_at: str | None  # when the supporters' figures were counted; None: just now


class Extras(TypedDict):
    """What cannot be counted incrementally, computed from rows (ReportExtras.data)."""

    supporters: SupportersSection
    authenticity: FlaggedAuthenticity
    top_posts: list[TopPost]
    top_authors: list[TopAuthor]
    sources: list[Source]
    dataset_sha256: str
    what_worked: WhatWorked
