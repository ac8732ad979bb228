from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from hashrally.campaigns.models import Campaign, Target, TargetAccount
from tests.fakes import log_in

pytestmark = pytest.mark.django_db

PAGE = "/c/recognize-to-reconcile/"


def test_it_lists_live_campaigns(client: Client, campaigns: list[str]) -> None:
    Campaign.objects.filter(slug="justice-for-khojaly").update(status="draft")
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Khojaly: RecognizeToReconcile" in html
    assert "Justice for Khojaly!" not in html


def test_it_shows_the_campaign(client: Client, campaigns: list[str]) -> None:
    response = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Khojaly: RecognizeToReconcile</h1>" in html
    assert "#Khojaly #RecognizeToReconcile" in html
    assert 'href="https://x.com/NikolPashinyan"' in html
    assert 'href="https://x.com/atatoyan"' in html
    assert "Georgi Tatar" in html and "Amra Begic" in html
    assert re.search(r'<ol class="steps">(\s*<li>.*?</li>){2}\s*</ol>', html, re.S)
    # The umbrella is linked as the parent.
    assert 'href="/c/justice-for-khojaly/"' in html
    assert '<meta property="og:title" content="Khojaly: RecognizeToReconcile">' in html
    assert '<meta property="og:url" content="http://testserver/c/recognize-to-reconcile/">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html


def test_it_loads_nothing_from_other_servers(client: Client, campaigns: list[str]) -> None:
    html = client.get(PAGE).content.decode()
    for attribute in re.findall(r'<(?:script|link|img|iframe)[^>]*(?:src|href)="([^"]+)"', html):
        if attribute.startswith("http"):
            # Only the canonical link may be absolute, and it is this site.
            assert attribute.startswith("http://testserver/"), attribute


def test_it_lists_children_on_an_umbrella_page(client: Client, campaigns: list[str]) -> None:
    html = client.get("/c/justice-for-khojaly/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="/c/recognize-to-reconcile/"' in html


def test_it_hides_drafts_from_the_public(client: Client, campaigns: list[str]) -> None:
    Campaign.objects.filter(slug="recognize-to-reconcile").update(status="draft")
    assert client.get(PAGE).status_code == 404
    assert client.get("/c/no-such-campaign/").status_code == 404


def test_it_shows_drafts_to_staff(client: Client, campaigns: list[str], admin_user: object) -> None:
    Campaign.objects.filter(slug="recognize-to-reconcile").update(status="draft")
    log_in(client, admin_user)
    assert client.get(PAGE).status_code == 200


def test_it_uses_the_browser_language(client: Client, campaigns: list[str]) -> None:
    html = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="ru,en;q=0.5").content.decode()
    assert '<html lang="ru" dir="ltr">' in html
    assert '<article class="campaign" lang="ru" dir="ltr">' in html


def test_it_switches_language_with_a_link_and_remembers_it(
    client: Client, campaigns: list[str]
) -> None:
    response = client.get(PAGE + "?lang=az")
    html = response.content.decode()
    assert response.cookies["hashrally_language"].value == "az"
    assert '<article class="campaign" lang="az"' in html
    html = client.get(PAGE).content.decode()
    assert '<html lang="az"' in html
    # Asking for what is already chosen sets nothing.
    assert "hashrally_language" not in client.get(PAGE + "?lang=az").cookies
    assert "hashrally_language" not in Client().get(PAGE + "?lang=en").cookies
    assert client.get(PAGE + "?lang=en").cookies["hashrally_language"].value == "en"


def test_it_renders_arabic_right_to_left_with_campaign_text_left_to_right(
    client: Client, campaigns: list[str]
) -> None:
    html = client.get(PAGE + "?lang=ar").content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    # The campaign has no Arabic text: its default language is shown, marked as such.
    assert '<article class="campaign" lang="en" dir="ltr">' in html


def test_it_marks_translations_awaiting_review(client: Client, campaigns: list[str]) -> None:
    assert "awaits review" not in client.get(PAGE + "?lang=en").content.decode()
    assert 'class="notice"' in client.get(PAGE + "?lang=ru").content.decode()


def test_it_sanitises_the_body(client: Client, campaigns: list[str]) -> None:
    text = Campaign.objects.get(slug="recognize-to-reconcile").texts.get(language="en")
    text.body = "<script>alert(1)</script>\n\n[x](javascript:alert(1)) **bold**"
    text.save()
    html = client.get(PAGE + "?lang=en").content.decode()
    assert "<script>alert" not in html
    assert 'href="javascript:' not in html
    assert "<strong>bold</strong>" in html


def test_it_offers_another_variant_with_shuffle(client: Client, campaigns: list[str]) -> None:
    first = client.get(PAGE + "?lang=en&shuffle=0").content.decode()
    second = client.get(PAGE + "?lang=en&shuffle=1").content.decode()
    preview = re.compile(r'<textarea id="preview"[^>]*>(.*?)</textarea>', re.S)
    assert preview.search(first).group(1) != preview.search(second).group(1)  # type: ignore[union-attr]
    assert 'name="shuffle" value="2"' in second


def test_it_puts_the_personal_sentence_into_the_preview(
    client: Client, campaigns: list[str]
) -> None:
    html = client.get(PAGE + "?lang=en&v=0&mine=I+was+there.").content.decode()
    assert re.search(r'<textarea id="preview"[^>]*>I was there.\n\n', html)


def test_it_runs_a_bounded_number_of_queries(
    client: Client, campaigns: list[str], django_assert_max_num_queries: object
) -> None:
    campaign = Campaign.objects.get(slug="recognize-to-reconcile")
    for position in range(2, 12):
        target = Target.objects.create(campaign=campaign, position=position, name=f"T{position}")
        TargetAccount.objects.create(target=target, network="telegram", handle=f"target{position}")
    # Two of them read the wall's newest posts (none here; tests/reports/test_wall.py has some)
    # and the targets' mentions.
    with django_assert_max_num_queries(13):  # type: ignore[operator]
        assert client.get(PAGE).status_code == 200
    with django_assert_max_num_queries(4):  # type: ignore[operator]
        assert client.get("/").status_code == 200


def go(client: Client, network: str, **params: str) -> tuple[int, str]:
    response = client.get(f"{PAGE}go/{network}", {"lang": "en", "v": "0", **params})
    return response.status_code, response.get("Location", "")


def text_of(location: str, key: str = "text") -> str:
    return parse_qs(urlsplit(location).query)[key][0]


@pytest.mark.parametrize(
    ("network", "host"),
    [
        ("x", "x.com"),
        ("bluesky", "bsky.app"),
        ("threads", "www.threads.net"),
        ("telegram", "t.me"),
        ("whatsapp", "wa.me"),
        ("facebook", "www.facebook.com"),
        ("linkedin", "www.linkedin.com"),
        ("reddit", "www.reddit.com"),
        ("vk", "vk.com"),
    ],
)
def test_it_redirects_to_the_networks_own_composer(
    client: Client, campaigns: list[str], network: str, host: str
) -> None:
    status, location = go(client, network, mine="Mine.")
    assert status == 302
    assert urlsplit(location).hostname == host


def test_it_composes_the_text_for_x(client: Client, campaigns: list[str]) -> None:
    status, location = go(client, "x", mine="Ich unterstütze das. ə ✊🏽")
    assert status == 302
    text = text_of(location)
    assert text.startswith("Ich unterstütze das. ə ✊🏽\n\n")
    assert "@NikolPashinyan" in text and "@atatoyan" in text
    assert "#Khojaly #RecognizeToReconcile" in text
    assert "http://testserver/c/recognize-to-reconcile/" in text


def test_it_asks_for_a_mastodon_instance(client: Client, campaigns: list[str]) -> None:
    status, _ = go(client, "mastodon")
    assert status == 400
    status, location = go(client, "mastodon", instance="@me@Mastodon.Social")
    assert status == 302
    assert location.startswith("https://mastodon.social/share?text=")


def test_it_says_how_much_too_long_a_text_is(client: Client, campaigns: list[str]) -> None:
    response = client.get(f"{PAGE}go/x", {"lang": "en", "v": "0", "mine": "x" * 280})
    assert response.status_code == 200
    assert "too long for X" in response.content.decode()


def test_it_refuses_unknown_networks(client: Client, campaigns: list[str]) -> None:
    assert go(client, "myspace")[0] == 404
    assert go(client, "instagram")[0] == 200  # no share link: the page says to copy the text


def test_it_refuses_other_methods(client: Client, campaigns: list[str]) -> None:
    assert client.post(PAGE).status_code == 405


@pytest.mark.django_db
def test_it_shows_an_umbrellas_initiatives_before_the_rest(campaigns: list[str]) -> None:
    html = Client().get("/c/justice-for-khojaly/?lang=en").content.decode()
    assert 0 < html.index('id="children-h"') < html.index('id="join-h"')


@pytest.mark.django_db
def test_it_copies_for_each_network_the_text_composed_for_it(campaigns: list[str]) -> None:
    """The copy buttons of networks without a share link copy their own text: the targets'
    names where the target has no account there, never another network's @handles."""
    import html as html_module
    import re

    page = Client().get("/c/recognize-to-reconcile/?v=0&lang=en").content.decode()
    for code in ("instagram", "tiktok", "facebook", "linkedin"):
        assert f'data-copy="text-{code}"' in page or f'data-copy-first="text-{code}"' in page
        found = re.search(
            rf'<pre class="preview" dir="auto" id="text-{code}">(.*?)</pre>', page, re.S
        )
        assert found, code
        text = html_module.unescape(found.group(1))
        assert "@NikolPashinyan" not in text and "Nikol Pashinyan" in text, code
    x_text = re.search(r'id="text-x">(.*?)</pre>', page, re.S)
    assert x_text and "@NikolPashinyan" in x_text.group(1)


@pytest.mark.django_db
def test_it_names_targets_as_the_texts_language_writes_them(campaigns: list[str]) -> None:
    """Names and roles come from [targets.texts.<language>] of the file itself (read here with
    tomllib), in the language of the campaign text shown, with lang and dir on them."""
    import html as html_module
    import tomllib

    from tests.fakes import CAMPAIGNS

    path = next(p for p in CAMPAIGNS if p.name == "recognize-to-reconcile.toml")
    targets = tomllib.loads(path.read_text(encoding="utf-8"))["targets"]
    russian = [
        (t["texts"]["ru"].get("name") or t["name"], t["texts"]["ru"].get("role") or t["role"])
        for t in targets
    ]
    page = html_module.unescape(Client().get(f"{PAGE}?lang=ru&v=0").content.decode())
    for name, role in russian:
        assert f'<p lang="ru" dir="ltr"><strong>{name}</strong><br><span>{role}</span></p>' in page
    # Bluesky has no account for them: its text names them, in Russian; X's has the handles.
    bluesky = re.search(r'id="text-bluesky">(.*?)</pre>', page, re.S)
    assert bluesky and all(name in bluesky.group(1) for name, _ in russian)
    assert "Nikol Pashinyan" not in bluesky.group(1)
    status, location = go(Client(), "bluesky", lang="ru")
    assert status == 302 and russian[0][0] in text_of(location)
    # Arabic: the campaign has no Arabic text, so the English one and its English names.
    arabic = html_module.unescape(
        Client().get(f"{PAGE}?v=0", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    )
    assert f'<p lang="en" dir="ltr"><strong>{targets[0]["name"]}</strong>' in arabic


@pytest.mark.django_db
def test_it_offers_a_shortened_sentence_that_fits_and_keeps_the_campaigns_text(
    campaigns: list[str],
) -> None:
    """A sentence too long for X: the page offers it cut, a link that works without JavaScript;
    following it, every network fits; the dead end offers it too, and posting with it sends
    the campaign's hashtags and handles (from the file, read here) to X."""
    import html as html_module
    import tomllib

    from tests.fakes import CAMPAIGNS

    path = next(p for p in CAMPAIGNS if p.name == "recognize-to-reconcile.toml")
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    handles = [f"@{t['accounts']['x']}" for t in raw["targets"]]
    hashtags = [f"#{tag}" for tag in raw["hashtags"]]
    # 280 characters, the most the box takes: too long for X with any campaign text after it.
    mine = ("I have told my whole family and all of my friends about this, again and again. " * 4)[
        :280
    ]
    page = html_module.unescape(
        Client().get(PAGE, {"lang": "en", "v": "0", "mine": mine}).content.decode()
    )
    offer = re.search(r'<a href="([^"]+)" data-mine="([^"]+)">Use the shortened sentence', page)
    assert offer, "no offer to shorten"
    link, short = offer.groups()
    assert short.endswith("…") and " ".join(mine.split()).startswith(short[:-1])
    after = html_module.unescape(Client().get(link).content.decode())
    assert "Use the shortened sentence" not in after
    assert 'class="over"' not in after
    # The dead end (a text that cannot fit) offers the same and posts with it.
    response = Client().get(f"{PAGE}go/x", {"lang": "en", "v": "0", "mine": mine})
    body = html_module.unescape(response.content.decode())
    assert "with the shortened sentence" in body
    # Cut for X alone, which may leave more of it than the page's cut for every network.
    for_x = re.search(r'<input type="hidden" name="mine" value="([^"]+)">', body)
    assert for_x and len(for_x.group(1)) >= len(short)
    assert " ".join(mine.split()).startswith(for_x.group(1).removesuffix("…"))
    status, location = go(Client(), "x", mine=for_x.group(1))
    assert status == 302
    text = text_of(location)
    assert text.startswith(for_x.group(1)) and all(h in text for h in handles + hashtags)


@pytest.mark.django_db
def test_it_reads_in_the_order_a_person_decides(campaigns: list[str]) -> None:
    """What is asked, of whom, then the action (joining, then posting), and why at length."""
    html = Client().get(f"{PAGE}?lang=en").content.decode()
    order = ['class="summary"', 'id="targets-h"', 'id="join-h"', 'id="composer-h"', 'id="about-h"']
    positions = [html.index(marker) for marker in order]
    assert positions == sorted(positions)
