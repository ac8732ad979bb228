"""What other parts may ask of the collected posts of a campaign (read only)."""

from __future__ import annotations

from collections.abc import Collection, Iterator

from django.db import connection

from hashrally.listening.models import Post, PostMatch


def _matched_posts(campaign_id: int) -> str:
    match = connection.ops.quote_name(PostMatch._meta.db_table)
    post = connection.ops.quote_name(Post._meta.db_table)
    return (
        f"{match} m JOIN {post} p ON p.network = m.network AND p.post_id = m.post_id "
        "WHERE m.campaign_id = %s"
    )


def authors_of(campaign_id: int, networks: Collection[str]) -> Iterator[tuple[str, str]]:
    """(network, handle as the network wrote it) of everyone with a post in the campaign."""
    if not networks:
        return
    marks = ", ".join(["%s"] * len(networks))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT p.network, p.author_handle FROM {_matched_posts(campaign_id)} "  # noqa: S608
            f"AND p.network IN ({marks})",
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
            f"SELECT p.network, p.url FROM {_matched_posts(campaign_id)} "  # noqa: S608
            f"AND ({' OR '.join(where)})",
            params,
        )
        return {(network, url) for network, url in cursor.fetchall()}
