"""What other parts may ask of the collected posts of a campaign (read only)."""

from __future__ import annotations

from collections.abc import Collection, Iterator

from django.db import connection

from hashrally.core import sql
from hashrally.listening.models import Post, PostMatch


def matched_posts() -> str:
    """The campaign's matches joined to their posts, as `m` and `p`: FROM this, then
    `WHERE m.campaign_id = %s`."""
    return (
        f"{sql.table(PostMatch)} m JOIN {sql.table(Post)} p "
        "ON p.network = m.network AND p.post_id = m.post_id"
    )


def authors_of(campaign_id: int, networks: Collection[str]) -> Iterator[tuple[str, str]]:
    """(network, handle as the network wrote it) of everyone with a post in the campaign."""
    if not networks:
        return
    marks = ", ".join(["%s"] * len(networks))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT p.network, p.author_handle FROM {matched_posts()} "  # noqa: S608
            f"WHERE m.campaign_id = %s AND p.network IN ({marks})",
            [campaign_id, *networks],
        )
        for network, handle in cursor.fetchall():
            yield network, handle or ""


def known_posts(
    campaign_id: int, urls: Collection[str], x_ids: Collection[str]
) -> set[tuple[str, str]]:
    """(network, url) of the campaign's posts at one of `urls`, or on X with one of `x_ids`
    (an X post has many addresses; its id is what identifies it)."""
    if not urls and not x_ids:
        return set()
    where = []
    params: list[str | int] = [campaign_id]
    if urls:
        where.append(f"p.url IN ({', '.join(['%s'] * len(urls))})")
        params += list(urls)
    if x_ids:
        where.append(f"(p.network = 'x' AND p.post_id IN ({', '.join(['%s'] * len(x_ids))}))")
        params += list(x_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.network, p.url FROM {matched_posts()} WHERE m.campaign_id = %s "  # noqa: S608
            f"AND ({' OR '.join(where)})",
            params,
        )
        return {(network, url) for network, url in cursor.fetchall()}
