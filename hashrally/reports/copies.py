"""Copied texts, kept as posts are folded: each distinct text of a campaign once, with its
MinHash signature, its count of posts and its cluster of near-identical texts, so a report reads
clusters instead of signing every post again.

The rules are those of `authenticity.clusters` (same normalising, signatures, template use and
threshold, through `authenticity.Sketch`); the order differs. `clusters` compares the texts in
each LSH bucket after all of them are known; here a new text is compared with the leaders of its
buckets (the first text of each group found in the bucket so far), in the order posts are folded.
On the same posts both find the same clusters unless a chain of texts is only just similar,
where the order can join or split it; the tests run both on recorded posts.

When the campaign's message variants change, its texts are kept again (`keep_current`).
Clusters are kept as their smallest text id (`CampaignText.cluster`): joining two clusters
relabels the larger id's texts. A post is counted in its text when first folded; a later edit of
its text does not move it (the counters' edits move hashtags and targets only).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from django.db import connection

from hashrally.campaigns.models import MessageVariant
from hashrally.core.sql import select_in
from hashrally.listening import queries
from hashrally.reports import sql
from hashrally.reports.models import CampaignText, Figure, TextBucket

# The cluster of texts that use the campaign's own: never counted as suspect.
TEMPLATE = 0
# A figure whose key is the fingerprint of the message variants the texts were kept against.
TEXTS_FOR = "texts_for"


class Text(NamedTuple):
    """A folded post's text: its post key ("network:post_id"), digest and normalised text.
    A named tuple: the fold makes one a post, and a frozen dataclass took twice as long to make
    (0.6 against 0.3 microseconds, an eighth of the fold's counting of a post)."""

    post: str
    digest: str
    normalised: str


def templates(campaign_id: int) -> list[str]:
    """The family's message texts, sorted: a kept text's `variant` indexes this list."""
    from hashrally.campaigns.models import Campaign

    ids = Campaign.objects.get(pk=campaign_id).family_ids()
    return sorted(MessageVariant.objects.filter(campaign_id__in=ids).values_list("text", flat=True))


def _sketch(campaign_id: int) -> Any:
    from hashrally.reports import authenticity

    return authenticity.Sketch(templates(campaign_id))


# Bumped when what is kept of each text changes, so that campaigns keep their texts again:
# "2" added the variant each template use followed.
TEXTS_VERSION = "2"


def _fingerprint(templates: list[str]) -> str:
    return hashlib.sha256("\n".join([TEXTS_VERSION, *templates]).encode()).hexdigest()


def keep_current(campaign_id: int) -> None:
    """Whether a text uses the campaign's own depends on its message variants: when they
    changed since the texts were kept, the texts are kept again from the folded posts (one read
    of them, rare: an organiser editing the texts). Runs in the fold's transaction."""
    fingerprint = _fingerprint(templates(campaign_id))
    stored = Figure.objects.filter(campaign_id=campaign_id, dimension=TEXTS_FOR)
    if list(stored.values_list("key", flat=True)) == [fingerprint]:
        return
    stored.delete()
    CampaignText.objects.filter(campaign_id=campaign_id).delete()
    TextBucket.objects.filter(campaign_id=campaign_id).delete()
    Figure.objects.create(campaign_id=campaign_id, dimension=TEXTS_FOR, key=fingerprint, value=1)
    from hashrally.reports import authenticity

    batch: list[Text] = []
    for network, post_id, text in sql.stream(
        f"SELECT m.network, m.post_id, p.text FROM {queries.matched_posts()} "  # noqa: S608
        # Every post counted, also those fetched again since (pending, but counted: the fold
        # will not add their text again).
        "WHERE m.campaign_id = %s AND m.tally IS NOT NULL AND p.kind <> %s ORDER BY m.id",
        [campaign_id, "repost"],
    ):
        if text and (normalised := authenticity.normalise(text)):
            digest = authenticity.text_digest(normalised)
            batch.append(Text(f"{network}:{post_id}", digest, normalised))
        if len(batch) >= 5000:
            add_texts(campaign_id, batch)
            batch = []
    add_texts(campaign_id, batch)


# Signatures of the texts signed last, by digest: a signature depends on the text alone, and
# an initiative's new texts are most often its umbrella's new texts too, in the same fold
# (reports/fold.py carries each batch to the umbrellas), so each is signed once for both.
_signed: OrderedDict[str, Any] = OrderedDict()
SIGNED_MEMORY = 20_000
# The worker folds with two threads on PostgreSQL (reports/fold.py), and batches of unrelated
# campaigns add their texts at the same time: one could drop a signature the other had just
# found there.
_signing = threading.Lock()


def _signatures(sketch: Any, texts: Sequence[Text]) -> Any:
    from hashrally.reports import authenticity

    with _signing:
        missing = [t for t in texts if t.digest not in _signed]
        if missing:
            rows = sketch.sign([authenticity.shingles(t.normalised) for t in missing])
            for text, row in zip(missing, rows, strict=True):
                _signed[text.digest] = row
        signed = np.stack([_signed[t.digest] for t in texts])
        while len(_signed) > SIGNED_MEMORY:
            _signed.popitem(last=False)
    return signed


def add_texts(campaign_id: int, texts: Sequence[Text]) -> None:
    """Count these newly folded posts in their texts; sign the new texts and join them to the
    clusters of those they are near-identical to. Runs in the fold's transaction."""
    if not texts:
        return

    table = sql.table(CampaignText)
    counts: dict[str, int] = {}
    first: dict[str, Text] = {}
    for text in texts:
        counts[text.digest] = counts.get(text.digest, 0) + 1
        first.setdefault(text.digest, text)
    known = {
        digest: row_id
        for row_id, digest in select_in(
            f"SELECT id, digest FROM {table} WHERE campaign_id = %s AND digest IN ({{marks}})",  # noqa: S608
            [campaign_id],
            list(counts),
        )
    }
    with connection.cursor() as cursor:
        _update_counts(cursor, table, [[counts[d], row_id] for d, row_id in known.items()])
    new = [first[d] for d in counts if d not in known]
    if not new:
        return
    sketch = _sketch(campaign_id)
    signed = _signatures(sketch, new)
    closest = sketch.closest_template(signed)
    template = closest >= 0
    with connection.cursor() as cursor:
        # The others' cluster is set by _join.
        inserted = sql.many(
            cursor,
            f"INSERT INTO {table} (campaign_id, digest, posts, template, cluster, first_post, "
            "signature, variant)",
            [
                [
                    campaign_id,
                    t.digest,
                    counts[t.digest],
                    is_template,
                    TEMPLATE,
                    t.post[:330],
                    None if is_template else signed[i].tobytes(),
                    int(closest[i]) if is_template else None,
                ]
                for i, (t, is_template) in enumerate(zip(new, template.tolist(), strict=True))
            ],
            "RETURNING id, digest",
            ("bigint", "text", "integer", "boolean", "bigint", "text", "bytea", "smallint"),
        )
    id_of = dict((digest, row_id) for row_id, digest in inserted)
    kept = [i for i, is_template in enumerate(template.tolist()) if not is_template]
    _join(campaign_id, sketch, [id_of[new[i].digest] for i in kept], signed[kept])


def _update_counts(cursor: Any, table: str, rows: list[list[Any]]) -> None:
    sql.many(
        cursor,
        "WITH v(n, id) AS (",
        rows,
        f") UPDATE {table} SET posts = {table}.posts + v.n FROM v WHERE {table}.id = v.id",  # noqa: S608
        ("integer", "bigint"),
    )


def _set_clusters(cursor: Any, table: str, rows: list[list[Any]]) -> None:
    sql.many(
        cursor,
        "WITH v(cluster, id) AS (",
        rows,
        f") UPDATE {table} SET cluster = v.cluster FROM v WHERE {table}.id = v.id",  # noqa: S608
        ("bigint", "bigint"),
    )


def _join(campaign_id: int, sketch: Any, ids: list[int], signed: Any) -> None:
    """Compare each new text (ids ascending, with its signature) with its buckets' leaders,
    earlier texts first; join the clusters of those it is like, and lead the buckets where it is
    like none."""
    if not ids:
        return
    table, buckets = sql.table(CampaignText), sql.table(TextBucket)
    keys = sketch.band_keys(signed).view(np.int64)
    # The leaders already stored in these buckets, with their clusters and signatures.
    leaders: dict[tuple[int, int], list[tuple[int, Any]]] = {}
    cluster_of: dict[int, int] = {}
    for band, key, text_id, cluster, signature in select_in(
        f"SELECT b.band, b.{sql.quote('key')}, t.id, t.cluster, t.signature FROM {buckets} b "  # noqa: S608
        f"JOIN {table} t ON t.id = b.text WHERE b.campaign_id = %s "
        f"AND b.{sql.quote('key')} IN ({{marks}})",
        [campaign_id],
        sorted({int(k) for k in keys.ravel().tolist()}),
    ):
        leaders.setdefault((band, key), []).append(
            (text_id, np.frombuffer(bytes(signature), dtype=np.uint32))
        )
        cluster_of[text_id] = cluster
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        root = parent.setdefault(x, x)
        while root != parent[root]:
            parent[root] = parent[parent[root]]
            root = parent[root]
        parent[x] = root
        return root

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    new_buckets: list[list[int]] = []
    for row, text_id in enumerate(ids):
        signature = signed[row]
        cluster_of[text_id] = text_id
        for band in range(sketch.bands):
            key = int(keys[row, band])
            here = leaders.setdefault((band, key), [])
            similar = (
                sketch.similar(signature, np.stack([s for _, s in here])).tolist() if here else []
            )
            hits = [leader for (leader, _), ok in zip(here, similar, strict=True) if ok]
            if not hits:
                here.append((text_id, signature))
                new_buckets.append([campaign_id, band, key, text_id])
            for leader in hits:
                union(cluster_of[leader], text_id)
    with connection.cursor() as cursor:
        sql.many(
            cursor,
            f"INSERT INTO {buckets} (campaign_id, band, {sql.quote('key')}, text)",
            new_buckets,
            "",
            ("bigint", "smallint", "bigint", "bigint"),
        )
    # Relabel: each new text to its root; each old cluster joined to a smaller root, whole.
    new_rows = [[find(text_id), text_id] for text_id in ids]
    new = set(ids)
    merged = sorted(
        {(find(c), c) for c in set(cluster_of.values()) if c not in new and find(c) != c}
    )
    with connection.cursor() as cursor:
        _set_clusters(cursor, table, new_rows)
        for root, old in merged:
            cursor.execute(
                f"UPDATE {table} SET cluster = %s WHERE campaign_id = %s AND cluster = %s",  # noqa: S608
                [root, campaign_id, old],
            )


@dataclass(frozen=True, slots=True)
class Clusters:
    template_posts: int
    # (cluster id, posts, its first text's post key), the biggest first.
    suspect: list[tuple[int, int, str]]

    @property
    def suspect_posts(self) -> int:
        return sum(posts for _, posts, _ in self.suspect)


def clusters(campaign_id: int) -> Clusters:
    """The campaign's template use and suspect clusters, from the kept texts: one grouped
    scan of the distinct texts, none of the posts."""
    from hashrally.reports import authenticity

    table = sql.table(CampaignText)
    template_posts = 0
    suspect: list[tuple[int, int, str]] = []
    firsts: dict[int, int] = {}
    for cluster, posts, first_id in sql.rows(
        f"SELECT cluster, SUM(posts), MIN(id) FROM {table} "  # noqa: S608
        "WHERE campaign_id = %s GROUP BY cluster HAVING cluster = %s OR SUM(posts) >= %s",
        [campaign_id, TEMPLATE, authenticity.MIN_CLUSTER_POSTS],
    ):
        if cluster == TEMPLATE:
            template_posts = posts
        else:
            suspect.append((cluster, posts, ""))
            firsts[cluster] = first_id
    post_of = dict(
        select_in(
            f"SELECT id, first_post FROM {table} WHERE id IN ({{marks}})",  # noqa: S608
            [],
            list(firsts.values()),
        )
    )
    ordered = sorted(suspect, key=lambda c: (-c[1], firsts[c[0]]))
    return Clusters(
        template_posts=template_posts,
        suspect=[(c, n, post_of[firsts[c]]) for c, n, _ in ordered],
    )


def clusters_of(campaign_id: int, digests: list[str]) -> dict[str, int]:
    """The cluster of each of these texts (those the campaign holds)."""
    return dict(
        select_in(
            f"SELECT digest, cluster FROM {sql.table(CampaignText)} "  # noqa: S608
            "WHERE campaign_id = %s AND cluster <> %s AND digest IN ({marks})",
            [campaign_id, TEMPLATE],
            digests,
        )
    )
