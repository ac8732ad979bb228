"""What reports' tests share: a realistic report dict, and a small hand-built dataset to import
into the test campaigns.

The report is the test campaign a week after launch. Its figures are made up but consistent
with each other (posts by kind, network and language add up to the total; supporters by country
add up to the totals; the timeline adds up to the posts and joins), so tests of any part of the
reports can rely on them. Authors are fictional accounts; the targets are the test campaign's.
``sample_report()`` returns a fresh deep copy to change.
"""

from __future__ import annotations

import copy
from pathlib import Path

from hashrally.campaigns.models import Campaign
from hashrally.reports import fold
from hashrally.reports.types import Report

# Figures tests look for, in the formats a page shows them in English.
HEADLINE_POSTS = 1234
HEADLINE_POSTS_TEXT = "1,234"
HEADLINE_REACH_TEXT = "2,345,678"
AZERBAIJANI_WORD = "Xocalı"
ARABIC_WORD = "العدالة"
RUSSIAN_WORD = "Ходжалы"

SAMPLE_REPORT: Report = {
    "campaign": {
        "slug": "recognize-to-reconcile",
        "title": "Khojaly: RecognizeToReconcile",
        "umbrella": False,
        "children": [],
    },
    "generated_at": "2022-03-03T08:00:00+00:00",
    "window": {"from": "2022-02-23T00:00:00+00:00", "to": "2022-03-02T23:59:59+00:00"},
    "sources": [
        {
            "source": "x",
            "runs": 6,
            "posts_read": 1204,
            "posts_off_topic": 0,
            "refused": 0,
            "from": "2022-02-23T00:00:00+00:00",
            "to": "2022-03-02T23:59:59+00:00",
        },
        {
            "source": "mastodon",
            "runs": 6,
            "posts_read": 150,
            "posts_off_topic": 0,
            "refused": 0,
            "from": "2022-02-23T00:00:00+00:00",
            "to": "2022-03-02T23:59:59+00:00",
        },
        {
            "source": "bluesky",
            "runs": 4,
            "posts_read": 119,
            "posts_off_topic": 0,
            "refused": 0,
            "from": "2022-02-25T00:00:00+00:00",
            "to": "2022-03-02T23:59:59+00:00",
        },
        {
            "source": "import:twarc2",
            "runs": 1,
            "posts_read": 310,
            "posts_off_topic": 12,
            "refused": 3,
            "from": None,
            "to": None,
        },
    ],
    "supporters": {
        "joined": 512,
        "confirmed": 301,
        "verified": 148,
        "by_country": {
            "AZ": {"joined": 310, "confirmed": 190, "verified": 101},
            "TR": {"joined": 74, "confirmed": 40, "verified": 20},
            "PK": {"joined": 31, "confirmed": 18, "verified": 8},
            "DE": {"joined": 22, "confirmed": 14, "verified": 5},
            "GB": {"joined": 18, "confirmed": 9, "verified": 4},
            "RU": {"joined": 15, "confirmed": 8, "verified": 3},
            "US": {"joined": 14, "confirmed": 9, "verified": 4},
            "EG": {"joined": 12, "confirmed": 5, "verified": 1},
            "FR": {"joined": 10, "confirmed": 4, "verified": 1},
            # Too small to draw on the 1:110m map.
            "SG": {"joined": 6, "confirmed": 4, "verified": 1},
        },
    },
    "posts": {
        "total": 1234,
        "originals": 702,
        "reposts": 388,
        "replies": 121,
        "quotes": 23,
        "by_network": {"x": 981, "mastodon": 142, "bluesky": 111},
        "by_language": {"en": 512, "az": 401, "tr": 168, "ru": 77, "ar": 46, "und": 30},
        "hashtags": [
            {"hashtag": "Xocalı", "posts": 388},
            {"hashtag": "JusticeForKhojaly", "posts": 301},
            {"hashtag": "Azerbaijan", "posts": 144},
            {"hashtag": "خوجالي", "posts": 41},
            {"hashtag": "Ходжалы", "posts": 37},
        ],
    },
    "authors": {
        "unique": 687,
        "by_network": {"x": 560, "mastodon": 70, "bluesky": 57},
        "potential_reach": 2345678,
        "potential_impressions": 4567890,
        "views": 98765,
        "posts_with_views": 640,
        "countries": {
            "by_country": {"AZ": 301, "TR": 88, "PK": 40, "DE": 21, "RU": 18, "EG": 15},
            "by_method": {"location": 350, "language": 133},
            "unplaced": 204,
            "unplaced_share": 0.297,
            "method": "estimate",
        },
        "top": [
            {
                "network": "x",
                "handle": "xeber_example",
                "name": "Xəbər Example",
                "followers": 125400,
                "posts": 7,
            },
            {
                "network": "x",
                "handle": "aysel_example",
                "name": "Aysel Məmmədova",
                "followers": 48210,
                "posts": 12,
            },
            {
                "network": "bluesky",
                "handle": "leyla-example.bsky.social",
                "name": "Leyla Hüseynova",
                "followers": 5320,
                "posts": 5,
            },
            {
                "network": "mastodon",
                "handle": "kamran@mastodon.example",
                "name": "Kamran",
                "followers": 3120,
                "posts": 9,
            },
            {
                "network": "x",
                "handle": "ahmad_example",
                "name": "أحمد",
                "followers": 2210,
                "posts": 4,
            },
        ],
    },
    "engagement": {"likes": 15320, "reposts": 4410, "replies": 987, "quotes": 212},
    "top_posts": [
        {
            "network": "x",
            "url": "https://x.com/aysel_example/status/1497000000000000001",
            "author": "Aysel Məmmədova (@aysel_example)",
            "text": "Xocalı faciəsinin 30-cu ildönümü. Dünya Xocalı haqqında bilməlidir. "
            "#Khojaly #RecognizeToReconcile @NikolPashinyan",
            "created_at": "2022-02-26T09:12:00+00:00",
            "likes": 1320,
            "reposts": 410,
            "replies": 57,
            "quotes": 12,
        },
        {
            "network": "x",
            "url": "https://x.com/ahmad_example/status/1497000000000000002",
            "author": "أحمد (@ahmad_example)",
            "text": "العدالة لخوجالي. الاعتراف خطوة نحو السلام. #Khojaly #RecognizeToReconcile",
            "created_at": "2022-02-26T11:40:00+00:00",
            "likes": 640,
            "reposts": 201,
            "replies": 18,
            "quotes": 3,
        },
        {
            "network": "mastodon",
            "url": "https://mastodon.example/@kamran/107860000000000003",
            "author": "Kamran (@kamran@mastodon.example)",
            "text": "Помним Ходжалы. Признание — шаг к миру. #Khojaly #RecognizeToReconcile",
            "created_at": "2022-02-25T18:03:00+00:00",
            "likes": 210,
            "reposts": 66,
            "replies": 9,
            "quotes": 1,
        },
    ],
    "targets": {
        "NikolPashinyan": {
            "name": "Nikol Pashinyan",
            "total": 402,
            "by_network": {"x": 402},
            "by_day": {"2022-02-25": {"x": 250}, "2022-02-26": {"x": 152}},
        },
        "atatoyan": {
            "name": "Arman Tatoyan",
            "total": 155,
            "by_network": {"x": 155},
            "by_day": {"2022-02-26": {"x": 155}},
        },
    },
    "moment": {
        "at": "2022-02-25T17:00:00+00:00",
        "time_zone": "Asia/Baku",
        "hour_posts": 120,
        "hour_minutes": 60,
        "rest_posts": 982,
        "rest_minutes": 4260,
        "times_the_rest": 8.67,
    },
    "what_worked": {
        "clicks_by_network": {"x": 412, "bluesky": 96},
        "variants": [
            {
                "campaign": "recognize-to-reconcile",
                "language": "en",
                "position": 0,
                "text": "Recognize the Khojaly tragedy #Khojaly #RecognizeToReconcile",
                "clicks": 301,
                "posts": 188,
            }
        ],
        "referral_joins": 77,
        "referrers": 19,
        "leaderboard": [{"name": "Aysel", "joins": 12}],
    },
    "target_responses": [
        {
            "target": "Arman Tatoyan",
            "date": "2022-02-26",
            "summary": "Answered in an interview that the request would be studied.",
            "url": "https://news.example/interview",
        }
    ],
    "timeline": [
        {"date": "2022-02-23", "posts": 96, "authors": 61, "joins": 120},
        {"date": "2022-02-24", "posts": 188, "authors": 117, "joins": 140},
        {"date": "2022-02-25", "posts": 241, "authors": 160, "joins": 98},
        {"date": "2022-02-26", "posts": 412, "authors": 263, "joins": 87},
        {"date": "2022-02-27", "posts": 133, "authors": 92, "joins": 31},
        {"date": "2022-02-28", "posts": 78, "authors": 55, "joins": 18},
        {"date": "2022-03-01", "posts": 51, "authors": 37, "joins": 11},
        {"date": "2022-03-02", "posts": 35, "authors": 26, "joins": 7},
    ],
    "timeline_hourly": [
        {"hour": "2022-02-26T08:00Z", "posts": 20, "authors": 17, "joins": 6},
        {"hour": "2022-02-26T09:00Z", "posts": 96, "authors": 52, "joins": 11},
        {"hour": "2022-02-26T10:00Z", "posts": 61, "authors": 44, "joins": 9},
        {"hour": "2022-02-26T11:00Z", "posts": 48, "authors": 39, "joins": 7},
    ],
    "authenticity": {
        "bot_like_authors": 23,
        "bot_like_posts": 87,
        "bot_like_reasons": {"high_rate": 19, "empty_profile": 17, "network_label": 2},
        "template_posts": 214,
        "suspect_cluster_posts": 45,
        "suspect_clusters": [
            {
                "posts": 28,
                "sample": "I call on the Prime Minister of Armenia to recognize the Khojaly "
                "tragedy #Khojaly #RecognizeToReconcile",
            },
            {"posts": 17, "sample": "Xocalıya ədalət! #Khojaly"},
        ],
        "bursts": 2,
        "burst_windows": [
            {
                "start": "2022-02-26T09:00:00+00:00",
                "end": "2022-02-26T09:15:00+00:00",
                "posts": 64,
                "new_account_posts": 31,
            },
            {
                "start": "2022-02-24T20:30:00+00:00",
                "end": "2022-02-24T20:40:00+00:00",
                "posts": 22,
                "new_account_posts": 4,
            },
        ],
    },
    "headline": {
        "with_flagged": {"posts": 1234, "authors": 687, "potential_reach": 2345678},
        "without_flagged": {"posts": 1102, "authors": 641, "potential_reach": 1987654},
    },
    "dataset_sha256": "3f1c9a7e5b2d48c0a6e1f7b9d3c5a8e2f4b6d8a0c2e4f6a8b0d2f4a6c8e0b2d4",
}


def sample_report() -> Report:
    """A fresh copy of ``SAMPLE_REPORT`` that a test may change."""
    return copy.deepcopy(SAMPLE_REPORT)


# --- a hand-built dataset, imported and folded -----------------------------------------------

CHILD, UMBRELLA = "recognize-to-reconcile", "justice-for-khojaly"


def listen_for(slug: str, *hashtags: str) -> Campaign:
    """The campaign also listens for `hashtags` (the recorded pages are about other topics)."""
    campaign = Campaign.objects.get(slug=slug)
    campaign.listening = {**campaign.listening, "hashtags": [*campaign.hashtags, *hashtags]}
    campaign.save(update_fields=["listening"])
    return campaign


def fold_all() -> None:
    while fold.fold_everything(budget_seconds=60):
        pass


def csv_file(tmp_path: Path, rows: list[str], name: str = "posts.csv") -> Path:
    path = tmp_path / name
    header = "url,author,text,created,language,likes,reposts,replies,quotes,views\n"
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    return path


HAND_BUILT = [
    # url, author, text, created, language, likes, reposts, replies, quotes, views
    "https://x.com/ayla/status/1,ayla,Recognize #Khojaly @NikolPashinyan,"
    "2026-02-24T10:05:00Z,en,5,2,1,0,100",
    "https://x.com/ayla/status/2,ayla,Again #Khojaly #Peace,2026-02-24T11:10:00Z,en,1,0,0,0,",
    "https://x.com/orhan/status/3,orhan,Xocalı #Khojaly,2026-02-25T09:00:00Z,az,0,3,0,1,",
    "https://mastodon.social/@li/4,li@mastodon.social,Tag #Khojaly,2026-02-25T09:30:00Z,,2,0,0,0,",
]
