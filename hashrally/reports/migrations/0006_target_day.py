"""Mentions of each target per network and day (the "target_day" figures), for matches folded
before the fold kept them: counted once from what each match was folded with (its tally's
targets, so the fold's later moves stay exact), streamed, so memory stays flat."""

import datetime as dt
import json
from collections import Counter

from django.db import migrations

TARGETS = 6  # a tally is [likes, reposts, replies, quotes, views, hashtags, targets]


def _day(created):
    if created is None:
        return ""
    if isinstance(created, str):  # SQLite: UTC text
        return created[:10]
    moment = created.astimezone(dt.UTC) if created.tzinfo else created
    return moment.isoformat()[:10]


def backfill(apps, schema_editor):
    Figure = apps.get_model("reports", "Figure")
    counts = Counter()
    # A server-side cursor on PostgreSQL: the rows come 10,000 at a time, not all at once.
    with schema_editor.connection.chunked_cursor() as cursor:
        cursor.execute(
            "SELECT m.campaign_id, m.network, m.tally, p.created_at "
            "FROM listening_postmatch m JOIN listening_post p "
            "ON p.network = m.network AND p.post_id = m.post_id WHERE m.tally IS NOT NULL"
        )
        while rows := cursor.fetchmany(10_000):
            for campaign_id, network, tally, created in rows:
                counted = json.loads(tally) if isinstance(tally, str) else tally
                if not isinstance(counted, list) or len(counted) <= TARGETS:
                    continue
                day = _day(created)
                for handle in counted[TARGETS] or []:
                    counts[campaign_id, f"{network}:{handle} {day}"] += 1
    Figure.objects.filter(dimension="target_day").delete()
    Figure.objects.bulk_create(
        [
            Figure(campaign_id=campaign_id, dimension="target_day", key=key, value=n)
            for (campaign_id, key), n in counts.items()
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [("reports", "0005_what_worked")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
