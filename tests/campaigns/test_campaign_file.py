from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hashrally.campaigns.actions import do_load_campaign_files
from hashrally.campaigns.campaignfile import (
    CampaignFileError,
    parse_file,
    read_campaign_files,
)
from hashrally.campaigns.dump import campaign_spec, dump_campaign
from hashrally.campaigns.models import Campaign, MessageVariant, Target
from tests.campaigns.fakes import GOOD
from tests.fakes import CAMPAIGNS


def write(tmp_path: Path, text: str, name: str = "c.toml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def problems_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(CampaignFileError) as caught:
        parse_file(write(tmp_path, text))
    return [str(p) for p in caught.value.problems]


def test_it_reads_a_campaign_and_its_umbrella() -> None:
    loaded = read_campaign_files(CAMPAIGNS)
    assert {f.spec.slug for f in loaded} == {"justice-for-khojaly", "recognize-to-reconcile"}
    child = next(f.spec for f in loaded if f.spec.slug == "recognize-to-reconcile")
    assert child.parent == "justice-for-khojaly"
    assert child.hashtags == ["Khojaly", "RecognizeToReconcile"]
    assert [t.accounts.as_dict() for t in child.targets] == [
        {"x": "NikolPashinyan"},
        {"x": "atatoyan"},
    ]
    assert set(child.texts) == {"en", "az", "tr", "ru"}
    for language, text in child.texts.items():
        assert len(text.variants) >= 3
        assert len(text.steps) == 2
        assert text.needs_review == (language != "en")
    assert [e.name for e in child.endorsements] == ["Georgi Tatar", "Amra Begic"]
    # Each target is written as each of the campaign's languages writes it.
    assert [set(t.texts) for t in child.targets] == [{"ru"}, {"ru"}]
    assert child.targets[0].texts["ru"].name == "Никол Пашинян"
    assert child.targets[1].texts["ru"].name == ""
    assert all(e.quote == "" for e in child.endorsements)


def test_it_accepts_a_good_file(tmp_path: Path) -> None:
    spec = parse_file(write(tmp_path, GOOD)).spec
    assert spec.starts_on == dt.date(2024, 1, 2)
    assert spec.targets[0].accounts.as_dict() == {
        "x": "AMinister",
        "mastodon": "minister@gov.social",
    }


@pytest.mark.parametrize(
    ("change", "line", "field", "words"),
    [
        (("[texts.en]", 'colour = "red"\n[texts.en]'), 7, "colour", "unknown key 'colour'"),
        (('hashtags = ["One", "Two"]', "hashtags = []"), 5, "hashtags", "at least one hashtag"),
        (
            ('hashtags = ["One", "Two"]', 'hashtags = ["One", "no space"]'),
            5,
            "hashtags[1]",
            "not a hashtag",
        ),
        (('x = "AMinister"', 'x = "@AMinister"'), 22, "targets[0].accounts.x", "without '@'"),
        (('x = "AMinister"', 'x = "A Minister"'), 22, "targets[0].accounts.x", "no spaces"),
        (
            ('x = "AMinister"', 'facebok = "AMinister"'),
            22,
            "targets[0].accounts.facebok",
            "unknown network 'facebok'",
        ),
        (
            ('mastodon = "minister@gov.social"', 'mastodon = "minister"'),
            22,
            "targets[0].accounts.mastodon",
            "user@instance",
        ),
        (
            ('network = "x"', 'network = "myspace"'),
            25,
            "targets[0].posts[0].network",
            "Input should be",
        ),
        (
            ('url = "https://x.com/AMinister/status/1"', 'url = "https://evil.example/1"'),
            26,
            "targets[0].posts[0].url",
            "not an address on X",
        ),
        (("starts_on = 2024-01-02", 'starts_on = "2024-02-31"'), 3, "starts_on", "date"),
        (
            ("starts_on = 2024-01-02", "starts_on = 2024-01-02\nends_on = 2023-01-01"),
            4,
            "ends_on",
            "before it starts",
        ),
        (('status = "live"', 'status = "open"'), 2, "status", "'draft', 'live' or 'closed'"),
        (
            ('default_language = "en"', 'default_language = "fr"'),
            4,
            "default_language",
            "[texts.fr]",
        ),
        (('title = "Good campaign"', 'title = ""'), 8, "texts.en.title", "at least 1 character"),
        (('slug = "good"', 'slug = "Not A Slug"'), 1, "slug", "pattern"),
        (
            ("Another one {hashtags} {mentions}", "Another {oops} {hashtags}"),
            16,
            "texts.en.variants[1]",
            "{oops}",
        ),
        (
            ("Another one {hashtags} {mentions}", "x" * 260 + " {hashtags} {mentions}"),
            16,
            "texts.en.variants[1]",
            "too long for X",
        ),
        (
            ("[[targets.posts]]", '[targets.texts.fr]\nrole = "Ministre"\n[[targets.posts]]'),
            24,
            "targets[0].texts.fr",
            "the campaign has no [texts.fr]",
        ),
        (
            ("[[targets.posts]]", '[targets.texts.en]\nname = ""\n[[targets.posts]]'),
            24,
            "targets[0].texts.en",
            "give a name or a role",
        ),
        (
            ("[[targets.posts]]", '[targets.texts."xx-!"]\nname = "X"\n[[targets.posts]]'),
            24,
            "targets[0].texts.xx-!",
            "not a language code",
        ),
        (
            ('role = "Minister"', 'role = "Minister"\nphoto = "https://cdn.example/p.jpg"'),
            22,
            "targets[0].photo",
            "path on this site",
        ),
    ],
)
def test_it_names_file_line_and_field(
    tmp_path: Path, change: tuple[str, str], line: int, field: str, words: str
) -> None:
    old, new = change
    assert old in GOOD
    found = problems_of(tmp_path, GOOD.replace(old, new, 1))
    prefix = f"{tmp_path / 'c.toml'}:{line}: {field}: "
    assert any(p.startswith(prefix) and words in p for p in found), found


def test_it_reports_toml_syntax_errors_with_the_line(tmp_path: Path) -> None:
    found = problems_of(tmp_path, GOOD.replace('status = "live"', "status = live"))
    assert len(found) == 1
    assert found[0].startswith(f"{tmp_path / 'c.toml'}:2: not valid TOML")


def test_it_reports_every_problem_at_once(tmp_path: Path) -> None:
    text = GOOD.replace('status = "live"', 'status = "open"').replace(
        'x = "AMinister"', 'x = "@AMinister"'
    )
    assert len(problems_of(tmp_path, text)) == 2


@pytest.mark.django_db
def test_it_refuses_duplicate_slugs_and_unknown_parents(tmp_path: Path) -> None:
    first = write(tmp_path, GOOD, "a.toml")
    second = write(tmp_path, GOOD, "b.toml")
    orphan = write(
        tmp_path, GOOD.replace('slug = "good"', 'slug = "child"\nparent = "missing"'), "c.toml"
    )
    with pytest.raises(CampaignFileError) as caught:
        read_campaign_files([first, second, orphan])
    messages = [str(p) for p in caught.value.problems]
    assert any(m.startswith(f"{second}:1: slug: duplicate slug 'good'") for m in messages)
    assert any(
        m.startswith(f"{orphan}:2: parent: unknown parent campaign 'missing'") for m in messages
    )


@pytest.mark.django_db
def test_it_loads_idempotently_and_updates_in_place(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    assert do_load_campaign_files(read_campaign_files([path])) == [("good", "created")]
    campaign = Campaign.objects.get(slug="good")
    ids = sorted(MessageVariant.objects.values_list("id", flat=True))
    stamp = campaign.updated_at

    assert do_load_campaign_files(read_campaign_files([path])) == [("good", "unchanged")]
    campaign.refresh_from_db()
    assert campaign.updated_at == stamp
    assert sorted(MessageVariant.objects.values_list("id", flat=True)) == ids

    edited = GOOD.replace("Another one", "A better one").replace('role = "Minister"', 'role = "PM"')
    path = write(tmp_path, edited)
    assert do_load_campaign_files(read_campaign_files([path])) == [("good", "updated")]
    assert sorted(MessageVariant.objects.values_list("id", flat=True)) == ids
    assert MessageVariant.objects.get(position=1).text.startswith("A better one")
    assert Target.objects.get().role == "PM"
    assert Campaign.objects.count() == 1


@pytest.mark.django_db
def test_it_changes_nothing_when_any_file_is_bad(tmp_path: Path) -> None:
    good = write(tmp_path, GOOD, "a.toml")
    bad = write(tmp_path, GOOD.replace('slug = "good"', 'slug = "bad"\nnope = 1'), "b.toml")
    with pytest.raises(CampaignFileError):
        read_campaign_files([good, bad])
    assert Campaign.objects.count() == 0


@pytest.mark.django_db
def test_it_dumps_what_loads_to_the_same_campaign(tmp_path: Path, campaigns: list[str]) -> None:
    for slug in ("justice-for-khojaly", "recognize-to-reconcile"):
        campaign = Campaign.objects.get(slug=slug)
        before = campaign_spec(campaign)
        dumped = write(tmp_path, dump_campaign(campaign), f"{slug}.toml")
        reread = read_campaign_files([dumped], known_slugs=["justice-for-khojaly"])
        assert reread[0].spec == before
        original = next(f for f in read_campaign_files(CAMPAIGNS) if f.spec.slug == slug)
        assert reread[0].spec == original.spec
        assert do_load_campaign_files(reread) == [(slug, "unchanged")]
