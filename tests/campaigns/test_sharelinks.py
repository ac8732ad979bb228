"""Share texts and links: placeholder expansion, per-network lengths, dropping, share URLs."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from hashrally.campaigns import sharelinks
from hashrally.campaigns.sharelinks import (
    COPY_TEXT_NETWORKS,
    LIMITS,
    NETWORKS,
    Composed,
    ShareContext,
    Target,
    compose,
    grapheme_length,
    mastodon_length,
    measure,
    normalise_instance,
    placeholder_errors,
    render,
    share_url,
    x_weighted_length,
)

PAGE = "https://hashrally.example.org/c/khojaly/"
HASHTAGS = ("JusticeForKhojaly", "Khojaly1992", "RecognizeGenocide")
UN = Target("UN Human Rights", {"x": "UNHumanRights", "mastodon": "unhr@mastodon.social"})
EP = Target("European Parliament", {"x": "Europarl_EN", "mastodon": "ep@social.network.europa.eu"})
MP = Target("Jane Doe MP", {})
CTX = ShareContext(hashtags=HASHTAGS, targets=(UN, EP, MP), url=PAGE)
VARIANT = "Remember Khojaly. {mentions} {hashtags} {url}"

# What VARIANT becomes on X after each drop step, written out by hand.
X_STAGES = (
    "Remember Khojaly. @UNHumanRights @Europarl_EN Jane Doe MP"
    f" #JusticeForKhojaly #Khojaly1992 #RecognizeGenocide {PAGE}",
    "Remember Khojaly. @UNHumanRights @Europarl_EN Jane Doe MP"
    " #JusticeForKhojaly #Khojaly1992 #RecognizeGenocide",
    "Remember Khojaly. @UNHumanRights @Europarl_EN Jane Doe MP #JusticeForKhojaly",
    "Remember Khojaly. @UNHumanRights @Europarl_EN #JusticeForKhojaly",
    "Remember Khojaly. @UNHumanRights #JusticeForKhojaly",
)
WHOLE_TAGS = {"#" + tag for tag in HASHTAGS} | {"@UNHumanRights", "@Europarl_EN"}

AZERBAIJANI = "Xocalı soyqırımını tanıyın ə"
# Every kind of character that percent-encoding can get wrong, plus Azerbaijani and an emoji.
AWKWARD = f'{AZERBAIJANI} 🇦🇿 #JusticeForKhojaly & 100% "yes"?\nline 2 + a=b/c'


def filler(size: int) -> str:
    """A personal sentence of exactly ``size`` characters, with no URLs, tags or mentions."""
    text = ("never forget " * (size // 13 + 1))[:size]
    return text[:-1] + "!" if text.endswith(" ") else text


def ascii_x_length(text: str) -> int:
    """X length of plain ASCII text, worked out independently: the page URL costs 23."""
    return len(text) - len(PAGE) + 23 if PAGE in text else len(text)


def tags_and_mentions(text: str) -> list[str]:
    return re.findall(r"[#@][\w.@]*\w", text)


# --- the network lists -----------------------------------------------------------------------


def test_it_gives_every_network_a_limit_entry() -> None:
    assert set(LIMITS) == set(NETWORKS)
    assert len(NETWORKS) == len(set(NETWORKS)) == 12
    assert COPY_TEXT_NETWORKS.issubset(NETWORKS)


@pytest.mark.parametrize(
    ("network", "limit"),
    [
        ("x", 280),
        ("bluesky", 300),
        ("mastodon", 500),
        ("threads", 500),
        ("reddit", 300),
        ("telegram", None),
        ("whatsapp", None),
        ("facebook", None),
        ("linkedin", None),
        ("vk", None),
        ("instagram", None),
        ("tiktok", None),
    ],
)
def test_it_knows_each_networks_limit(network: str, limit: int | None) -> None:
    assert LIMITS[network] == limit


# --- measuring -------------------------------------------------------------------------------

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
THUMB_MEDIUM = "\U0001f44d\U0001f3fd"
FLAG_AZ = "\U0001f1e6\U0001f1ff"
FLAG_ENGLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
KEYCAP_ONE = "1\ufe0f\u20e3"


@pytest.mark.parametrize(
    ("text", "x", "bluesky", "mastodon", "threads"),
    [
        pytest.param(AZERBAIJANI, 28, 28, 28, 28, id="azerbaijani"),
        pytest.param("Помните Ходжалы", 15, 15, 15, 15, id="russian"),
        pytest.param("تذكروا خوجالي", 13, 13, 13, 13, id="arabic"),
        # Arabic with a vowel mark: five code points, four user-perceived characters.
        pytest.param("\u0633\u064e\u0644\u0627\u0645", 5, 4, 5, 5, id="arabic-harakat"),
        pytest.param("記住霍賈利", 10, 5, 5, 5, id="cjk"),
        pytest.param(THUMB_MEDIUM, 2, 1, 2, 2, id="skin-tone"),
        pytest.param(FAMILY, 2, 1, 5, 5, id="zwj-family"),
        pytest.param(FLAG_AZ, 2, 1, 2, 2, id="flag"),
        pytest.param(FLAG_ENGLAND, 2, 1, 7, 7, id="tag-flag"),
        pytest.param(KEYCAP_ONE, 2, 1, 3, 3, id="keycap"),
        pytest.param(
            f"{AZERBAIJANI[:6]} {FLAG_AZ} {THUMB_MEDIUM} 記住", 17, 13, 15, 15, id="mixed"
        ),
        # Decomposed é: X counts the NFC form, Mastodon and Threads the raw code points.
        pytest.param("e\u0301", 1, 1, 2, 2, id="decomposed"),
        # Punctuation inside X's light ranges (quotes, dash, prime) costs 1, the ellipsis 2.
        pytest.param("\u201c\u2014\u201d\u2032", 4, 4, 4, 4, id="light-punctuation"),
        pytest.param("\u2026", 2, 1, 1, 1, id="ellipsis"),
        # The last code point of X's first light range, then the first one after it.
        pytest.param("\u10ff\u1100", 3, 2, 2, 2, id="range-edge"),
    ],
)
def test_it_measures_unicode_as_each_network_counts(
    text: str, x: int, bluesky: int, mastodon: int, threads: int
) -> None:
    assert x_weighted_length(text) == x
    assert grapheme_length(text) == bluesky
    assert mastodon_length(text) == mastodon
    assert measure("x", text) == x
    assert measure("bluesky", text) == bluesky
    assert measure("mastodon", text) == mastodon
    assert measure("threads", text) == threads


@pytest.mark.parametrize("network", ["threads", "telegram", "whatsapp", "reddit", "vk"])
def test_it_counts_code_points_elsewhere(network: str) -> None:
    assert measure(network, f"{FAMILY} ə {PAGE}") == 5 + 3 + len(PAGE)


LONG_URL = PAGE + "a" * 200 + "?utm_source=hashrally"
SHORT_URL = "http://a.co"


@pytest.mark.parametrize(
    ("text", "x", "mastodon"),
    [
        pytest.param(f"Read {LONG_URL}", 5 + 23, 5 + 23, id="long"),
        pytest.param(f"Read {SHORT_URL}", 5 + 23, 5 + 23, id="short"),
        pytest.param(f"{SHORT_URL} and {LONG_URL}", 23 + 5 + 23, 23 + 5 + 23, id="two"),
        pytest.param("HTTPS://EXAMPLE.ORG/X", 23, 23, id="upper-case-scheme"),
        # Sentence punctuation after a link is not part of it.
        pytest.param("See https://a.org/x.", 4 + 23 + 1, 4 + 23 + 1, id="trailing-dot"),
        pytest.param("(see https://a.org/x)", 5 + 23 + 1, 5 + 23 + 1, id="closing-paren"),
        # ... but a parenthesis the link opened is.
        pytest.param("https://en.wikipedia.org/wiki/Foo_(bar)", 23, 23, id="wiki-paren"),
        pytest.param("https://", 8, 8, id="scheme-only"),
    ],
)
def test_it_counts_every_url_as_23_on_x_and_mastodon(text: str, x: int, mastodon: int) -> None:
    assert x_weighted_length(text) == x
    assert mastodon_length(text) == mastodon


@pytest.mark.parametrize("url", [LONG_URL, SHORT_URL])
def test_it_counts_urls_at_full_length_on_bluesky_and_threads(url: str) -> None:
    assert grapheme_length(f"Read {url}") == 5 + len(url)
    assert measure("threads", f"Read {url}") == 5 + len(url)


@pytest.mark.parametrize(
    ("text", "x"),
    [
        # X may link a bare domain (23) or not (its own length): the larger is never too low.
        pytest.param("Visit khojaly.org.", 6 + 23 + 1, id="short-bare-domain"),
        pytest.param("See khojaly.org/" + "a" * 40, 4 + 12 + 40, id="long-bare-domain"),
        pytest.param("e.g. i.e. v1.2 file.txt2", 24, id="not-domains"),
        pytest.param("mail me@mastodon.social", 23, id="email-domain"),
    ],
)
def test_it_never_undercounts_bare_domains_on_x(text: str, x: int) -> None:
    assert x_weighted_length(text) == x


@pytest.mark.parametrize(
    ("text", "length"),
    [
        pytest.param("@unhr@mastodon.social", 5, id="remote"),
        pytest.param("@unhr", 5, id="local"),
        pytest.param("Hi @unhr@mastodon.social and @ep@social.network.europa.eu!", 17, id="two"),
        pytest.param("mail me@mastodon.social", 23, id="email-is-not-mention"),
        pytest.param("https://mastodon.social/@unhr@example.org", 23, id="inside-url"),
        pytest.param("@unhr@mastodon.social https://a.org/", 5 + 1 + 23, id="with-url"),
    ],
)
def test_it_counts_only_the_user_part_of_mastodon_mentions(text: str, length: int) -> None:
    assert mastodon_length(text) == length


def test_it_does_not_discount_remote_mentions_elsewhere() -> None:
    assert x_weighted_length("@unhr@mastodon.social") == 21
    assert grapheme_length("@unhr@mastodon.social") == 21


# --- placeholders ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        "",
        "No placeholders at all.",
        "{hashtags} {mentions} {url}",
        "{url} twice: {url}",
        "Literal {{braces}} and }} and {{",
    ],
)
def test_it_accepts_good_placeholders(variant: str) -> None:
    assert placeholder_errors(variant) == []


@pytest.mark.parametrize(
    ("variant", "named"),
    [
        ("Hello {foo}", ["{foo}"]),
        ("{URL}", ["{URL}"]),
        ("{ url }", ["{ url }"]),
        ("{}", ["{}"]),
        ("{foo} and {foo} and {bar}", ["{foo}", "{bar}"]),
        ("Read {url now", ["{url"]),
        ("Read url} now", ["url}"]),
        ("{hashtags} {nope} {mentions", ["{nope}", "{mentions"]),
    ],
)
def test_it_names_each_bad_placeholder(variant: str, named: list[str]) -> None:
    errors = placeholder_errors(variant)
    assert len(errors) == len(named)
    for error, fragment in zip(errors, named, strict=True):
        assert f'"{fragment}"' in error


def test_it_tells_how_to_write_a_literal_brace() -> None:
    assert '"{{"' in placeholder_errors("a { b")[0]
    assert '"}}"' in placeholder_errors("a } b")[0]
    assert "{hashtags}" in placeholder_errors("{foo}")[0]


def test_it_refuses_to_render_a_broken_variant() -> None:
    with pytest.raises(ValueError, match=r"\{foo\}"):
        render("Hi {foo}", CTX, "x")
    with pytest.raises(ValueError, match=r"\{url"):
        compose("Hi {url", CTX, "x")


# --- rendering -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("network", "expected"),
    [
        ("x", X_STAGES[0]),
        (
            "mastodon",
            "Remember Khojaly. @unhr@mastodon.social @ep@social.network.europa.eu Jane Doe MP"
            f" #JusticeForKhojaly #Khojaly1992 #RecognizeGenocide {PAGE}",
        ),
        (
            "bluesky",
            "Remember Khojaly. UN Human Rights European Parliament Jane Doe MP"
            f" #JusticeForKhojaly #Khojaly1992 #RecognizeGenocide {PAGE}",
        ),
        (
            "threads",
            f"Remember Khojaly. UN Human Rights European Parliament Jane Doe MP"
            f" #JusticeForKhojaly {PAGE}",
        ),
    ],
)
def test_it_renders_mentions_and_hashtags_per_network(network: str, expected: str) -> None:
    assert render(VARIANT, CTX, network) == expected


def test_it_keeps_only_the_first_hashtag_on_threads() -> None:
    text = render("{hashtags}", CTX, "threads")
    assert text == "#JusticeForKhojaly"
    composed = compose(VARIANT, CTX, "threads", personal=filler(600))
    assert tags_and_mentions(composed.text) == ["#JusticeForKhojaly"]
    assert "extra_hashtags" not in composed.dropped


def test_it_strips_stray_hash_and_at_signs() -> None:
    ctx = ShareContext(
        hashtags=("#Khojaly", " ", ""), targets=(Target("UN", {"x": "@un"}),), url=""
    )
    assert render("{mentions} {hashtags}", ctx, "x") == "@un #Khojaly"


def test_it_turns_doubled_braces_into_literal_ones() -> None:
    assert render("{{url}} is {url} }}{{", CTX, "x") == "{url} is " + PAGE + " }{"


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ("Say {hashtags} now", "Say now"),
        ("Say  it\t{hashtags}\nand {mentions}   again", "Say it\nand again"),
        ("{hashtags} leads", "leads"),
        ("Top\n\n{url}\n\nBottom", "Top\n\nBottom"),
        ("Windows\r\nlines {url}", "Windows\nlines"),
    ],
)
def test_it_leaves_no_double_spaces_where_parts_are_empty(variant: str, expected: str) -> None:
    empty = ShareContext(hashtags=(), targets=(), url="")
    assert render(variant, empty, "x") == expected


def test_it_keeps_single_blank_lines_between_paragraphs() -> None:
    assert render("One\n\nTwo {url}", CTX, "x") == f"One\n\nTwo {PAGE}"


# --- composing -------------------------------------------------------------------------------


def test_it_puts_the_personal_sentence_first_in_its_own_paragraph() -> None:
    composed = compose(VARIANT, CTX, "x", personal="  I lost family there.  ")
    assert composed.text == f"I lost family there.\n\n{X_STAGES[0]}"
    assert composed.dropped == ()


@pytest.mark.parametrize("personal", ["", "   ", "\n\n"])
def test_it_adds_nothing_without_a_personal_sentence(personal: str) -> None:
    assert compose(VARIANT, CTX, "x", personal=personal).text == X_STAGES[0]


def test_it_never_expands_placeholders_in_the_personal_sentence() -> None:
    composed = compose("{url}", CTX, "x", personal="My {url} and {foo}")
    assert composed.text == f"My {{url}} and {{foo}}\n\n{PAGE}"


def test_it_worked_out_the_stage_lengths_this_test_relies_on() -> None:
    lengths = [ascii_x_length(stage) for stage in X_STAGES]
    assert lengths == sorted(lengths, reverse=True)
    assert len(set(lengths)) == len(lengths)
    assert [x_weighted_length(stage) for stage in X_STAGES] == lengths


@pytest.mark.parametrize("steps", [0, 1, 2, 3, 4])
def test_it_drops_optional_parts_in_order_until_it_fits(steps: int) -> None:
    # A personal sentence that makes the post exactly 280 once ``steps`` parts are gone.
    personal = filler(280 - 2 - ascii_x_length(X_STAGES[steps]))
    composed = compose(VARIANT, CTX, "x", personal=personal)
    assert composed.dropped == sharelinks.DROP_ORDER[:steps]
    assert composed.dropped == ("url", "extra_hashtags", "name_mentions", "extra_mentions")[:steps]
    assert composed.text == f"{personal}\n\n{X_STAGES[steps]}"
    assert composed.length == 280
    assert composed.limit == 280
    assert composed.fits
    assert composed.over_by == 0
    assert set(tags_and_mentions(composed.text)) <= WHOLE_TAGS


@pytest.mark.parametrize("steps", [0, 1, 2, 3])
def test_it_takes_one_more_step_for_one_more_character(steps: int) -> None:
    personal = filler(280 - 2 - ascii_x_length(X_STAGES[steps]) + 1)
    composed = compose(VARIANT, CTX, "x", personal=personal)
    assert composed.dropped == sharelinks.DROP_ORDER[: steps + 1]
    assert composed.text.endswith(X_STAGES[steps + 1])
    assert composed.fits


def test_it_returns_what_cannot_fit_with_the_overflow() -> None:
    personal = filler(300)
    composed = compose(VARIANT, CTX, "x", personal=personal)
    assert composed.dropped == ("url", "extra_hashtags", "name_mentions", "extra_mentions")
    assert composed.text == f"{personal}\n\n{X_STAGES[4]}"
    assert composed.length == 300 + 2 + len(X_STAGES[4])
    assert not composed.fits
    assert composed.over_by == 300 + 2 + len(X_STAGES[4]) - 280
    assert set(tags_and_mentions(composed.text)) == {"#JusticeForKhojaly", "@UNHumanRights"}


def test_it_skips_steps_that_would_change_nothing() -> None:
    variant = "Remember Khojaly. {mentions} {hashtags}"
    composed = compose(variant, CTX, "x", personal=filler(280 - 2 - len(X_STAGES[2])))
    assert composed.dropped == ("extra_hashtags",)
    assert composed.text.endswith(X_STAGES[2])


def test_it_keeps_the_first_name_when_nobody_has_an_account_there() -> None:
    composed = compose(VARIANT, CTX, "bluesky", personal=filler(300))
    # Nobody is on Bluesky, so there is no @mention to thin out in step 4.
    assert composed.dropped == ("url", "extra_hashtags", "name_mentions")
    assert composed.text.endswith("\n\nRemember Khojaly. UN Human Rights #JusticeForKhojaly")
    assert composed.length == 300 + 2 + 52
    assert composed.over_by == 54


def test_it_keeps_every_account_holder_when_dropping_names() -> None:
    personal = filler(280 - 2 - len(X_STAGES[3]))
    composed = compose(VARIANT, CTX, "x", personal=personal)
    assert "@UNHumanRights @Europarl_EN" in composed.text
    assert "Jane Doe MP" not in composed.text


def test_it_lets_remote_mentions_fit_mastodon_by_their_short_length() -> None:
    body = "@unhr@mastodon.social @ep@social.network.europa.eu Jane Doe MP " + PAGE
    counted = len("@unhr @ep Jane Doe MP ") + 23
    personal = filler(500 - 2 - counted)
    composed = compose("{mentions} {url}", CTX, "mastodon", personal=personal)
    assert composed.text == f"{personal}\n\n{body}"
    assert composed.length == 500
    assert len(composed.text) > 500
    assert composed.fits
    assert composed.dropped == ()


@pytest.mark.parametrize(
    "network", sorted(network for network in NETWORKS if LIMITS[network] is None)
)
def test_it_never_drops_anything_without_a_limit(network: str) -> None:
    composed = compose(VARIANT, CTX, network, personal=filler(5000))
    assert composed.dropped == ()
    assert composed.limit is None
    assert composed.fits
    assert composed.over_by == 0
    assert PAGE in composed.text


@pytest.mark.parametrize(
    ("length", "limit", "fits", "over_by"),
    [(280, 280, True, 0), (281, 280, False, 1), (10, 280, True, 0), (9999, None, True, 0)],
)
def test_it_reports_fit_and_overflow(
    length: int, limit: int | None, fits: bool, over_by: int
) -> None:
    composed = Composed(network="x", text="", length=length, limit=limit, dropped=())
    assert composed.fits is fits
    assert composed.over_by == over_by


# --- share addresses -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("network", "address", "query"),
    [
        ("x", "https://x.com/intent/post", {"text": [AWKWARD]}),
        ("bluesky", "https://bsky.app/intent/compose", {"text": [AWKWARD]}),
        ("threads", "https://www.threads.net/intent/post", {"text": [AWKWARD]}),
        ("telegram", "https://t.me/share/url", {"url": [PAGE], "text": [AWKWARD]}),
        ("whatsapp", "https://wa.me/", {"text": [AWKWARD]}),
        ("facebook", "https://www.facebook.com/sharer/sharer.php", {"u": [PAGE]}),
        ("linkedin", "https://www.linkedin.com/sharing/share-offsite/", {"url": [PAGE]}),
        ("reddit", "https://www.reddit.com/submit", {"url": [PAGE], "title": [AWKWARD]}),
        ("vk", "https://vk.com/share.php", {"url": [PAGE], "title": [AWKWARD]}),
        ("mastodon", "https://mastodon.social/share", {"text": [AWKWARD]}),
    ],
)
def test_it_builds_each_networks_share_address(
    network: str, address: str, query: dict[str, list[str]]
) -> None:
    url = share_url(network, AWKWARD, PAGE, instance="mastodon.social")
    assert url is not None
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == address
    assert parts.fragment == ""
    assert parse_qs(parts.query, keep_blank_values=True, strict_parsing=True) == query
    # Parameters come in the documented order.
    assert [pair.split("=")[0] for pair in parts.query.split("&")] == list(query)


@pytest.mark.parametrize("network", ["x", "bluesky", "threads", "whatsapp", "mastodon"])
def test_it_percent_encodes_text_the_same_way_everywhere(network: str) -> None:
    url = share_url(network, AWKWARD, PAGE, instance="mastodon.social")
    assert url is not None
    query = urlsplit(url).query
    assert query == "text=" + quote(AWKWARD, safe="")
    for encoded in ("%20", "%23", "%0A", "%26", "%25", "%2B", "%3D", "%2F", "%3F", "%C9%99"):
        assert encoded in query
    assert "%F0%9F%87%A6%F0%9F%87%BF" in query  # the flag, as UTF-8
    assert "+" not in query
    assert " " not in query


def test_it_encodes_the_page_url_as_one_parameter() -> None:
    page = "https://hashrally.example.org/c/k/?lang=az&ref=share#top"
    url = share_url("facebook", "", page)
    assert url == "https://www.facebook.com/sharer/sharer.php?u=" + quote(page, safe="")
    assert parse_qs(urlsplit(url).query) == {"u": [page]}


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        (f"Remember Khojaly {PAGE} #JusticeForKhojaly", "Remember Khojaly #JusticeForKhojaly"),
        (f"Remember Khojaly\n\n{PAGE}", "Remember Khojaly"),
        (f"{PAGE}", ""),
        ("Remember Khojaly #JusticeForKhojaly", "Remember Khojaly #JusticeForKhojaly"),
    ],
)
def test_it_leaves_the_page_url_to_telegram(text: str, sent: str) -> None:
    url = share_url("telegram", text, PAGE)
    assert url is not None
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    assert query == {"url": [PAGE], "text": [sent]}


@pytest.mark.parametrize("network", ["instagram", "tiktok"])
def test_it_has_no_share_address_for_app_only_networks(network: str) -> None:
    assert share_url(network, AWKWARD, PAGE) is None


@pytest.mark.parametrize(
    "instance", ["mastodon.social", "https://mastodon.social/", "@me@mastodon.social"]
)
def test_it_sends_mastodon_shares_to_the_persons_instance(instance: str) -> None:
    url = share_url("mastodon", "Hi", PAGE, instance=instance)
    assert url == "https://mastodon.social/share?text=Hi"


@pytest.mark.parametrize("instance", [None, "", "evil.com/x?y", "not an instance"])
def test_it_has_no_mastodon_address_without_a_usable_instance(instance: str | None) -> None:
    assert share_url("mastodon", "Hi", PAGE, instance=instance) is None


@pytest.mark.parametrize(
    ("value", "host"),
    [
        ("mastodon.social", "mastodon.social"),
        ("https://mastodon.social/", "mastodon.social"),
        ("https://mastodon.social", "mastodon.social"),
        ("http://mastodon.social", "mastodon.social"),
        ("@me@mastodon.social", "mastodon.social"),
        ("me@mastodon.social", "mastodon.social"),
        ("  Mastodon.Social\n", "mastodon.social"),
        ("@first.last@social.network.europa.eu", "social.network.europa.eu"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("bücher.example", "xn--bcher-kva.example"),
    ],
)
def test_it_normalises_what_people_type_as_their_instance(value: str, host: str) -> None:
    assert normalise_instance(value) == host


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "mastodon social",
        "localhost",
        "mastodon",
        "evil.com/x?y",
        "evil.com/x",
        "evil.com?x",
        "evil.com#x",
        "a.b@c",
        "https://me@mastodon.social",
        "me@a.org@b.org",
        "@@mastodon.social",
        "@me@",
        "mastodon.social:8443",
        "https://mastodon.social/@me",
        "https://mastodon.social//",
        "mastodon..social",
        "-mastodon.social",
        "mastodon_social.org",
        "mastodon.social.",
        "1.2.3.4",
        "evil.com\\@mastodon.social",
        "evil%2ecom",
        "javascript:alert(1)",
        "ftp://mastodon.social",
        "a" * 64 + ".org",
    ],
)
def test_it_refuses_junk_instances(value: str) -> None:
    assert normalise_instance(value) is None


# --- unknown networks ------------------------------------------------------------------------


def test_it_names_an_unknown_network() -> None:
    with pytest.raises(ValueError, match="myspace"):
        measure("myspace", "hi")
    with pytest.raises(ValueError, match="myspace"):
        render("hi", CTX, "myspace")
    with pytest.raises(ValueError, match="myspace"):
        compose("hi", CTX, "myspace")
    with pytest.raises(ValueError, match="myspace"):
        share_url("myspace", "hi", PAGE)


# Sentences people write, too long for X once the campaign's text follows: spaced words,
# a script without spaces (Japanese), emoji sequences (a family, a skin tone, a flag).
LONG_SENTENCES = [
    "I have followed this for years and I keep telling everyone I know about it " * 4,
    "私はこのキャンペーンを支持します。世界中の人々に知ってもらいたいです。" * 6,
    "Together 👨‍👩‍👧‍👦 we remember ✊🏽 and we ask for recognition 🇦🇿 " * 6,
]


@pytest.mark.parametrize("sentence", LONG_SENTENCES)
def test_it_offers_to_cut_only_the_persons_own_sentence(sentence: str) -> None:
    assert not compose(VARIANT, CTX, "x", sentence).fits
    short = sharelinks.shorten_personal(VARIANT, CTX, "x", sentence)
    assert short is not None and short.endswith("…")
    kept = short.removesuffix("…")
    original = " ".join(sentence.split())
    assert original.startswith(kept) and kept
    if " " in original:
        # It ends at a word: what follows in their sentence is a space.
        assert original[len(kept)] == " "
    # Never inside a character: the emoji sequences kept are whole.
    for emoji in ("👨‍👩‍👧‍👦", "✊🏽", "🇦🇿"):
        if emoji[0] in kept:
            assert kept.count(emoji[0]) == kept.count(emoji)
    composed = compose(VARIANT, CTX, "x", short)
    # It fits with all that fits without their sentence: handles and hashtags stay in.
    assert composed.fits and composed.dropped == compose(VARIANT, CTX, "x").dropped
    # As long as it can be: one more word (or character) would not fit.
    rest = original[len(kept) :].lstrip()
    step = rest.split(" ")[0] if " " in original else rest[:1]
    longer = (kept + (" " if " " in original else "") + step).rstrip(" ,;:.-–—") + "…"
    too_long = compose(VARIANT, CTX, "x", longer)
    assert not too_long.fits or too_long.dropped != composed.dropped


def test_it_offers_nothing_when_it_fits_or_cannot() -> None:
    assert sharelinks.shorten_personal(VARIANT, CTX, "x", "Short.") is None
    assert sharelinks.shorten_personal(VARIANT, CTX, "x", "") is None
    # The campaign's own text alone is too long: no cut of their sentence can help.
    huge = ShareContext(hashtags=HASHTAGS, targets=(UN,), url=PAGE)
    assert sharelinks.shorten_personal("x" * 300 + " {hashtags}", huge, "x", "Mine.") is None
    # No limit, nothing to cut.
    assert sharelinks.shorten_personal(VARIANT, CTX, "telegram", LONG_SENTENCES[0]) is None
