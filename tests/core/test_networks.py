"""The registry of networks: every entry complete, and what each says holds for real addresses."""

from __future__ import annotations

import importlib

import pytest

from hashrally.campaigns import rules, sharelinks
from hashrally.core import networks

# Real post addresses as each network writes them (from their own share menus).
POSTS = {
    "x": "https://x.com/NikolPashinyan/status/1628742392412090370",
    "bluesky": "https://bsky.app/profile/bsky.app/post/3l6oveex3ii2l",
    "mastodon": "https://fosstodon.org/@schochastics/113387226455018468",
    "threads": "https://www.threads.net/@zuck/post/C8ajXo9vBk5",
    "telegram": "https://t.me/durov/300",
    "facebook": "https://www.facebook.com/zuck/posts/10114854361024521",
    "linkedin": "https://www.linkedin.com/posts/satyanadella_activity-7000000000000000000-abcd",
    "instagram": "https://www.instagram.com/p/C8ajXo9vBk5/",
    "tiktok": "https://www.tiktok.com/@scout2015/video/6718335390845095173",
    "youtube": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
}


def test_it_describes_every_network_once() -> None:
    codes = [n.code for n in networks.REGISTRY]
    assert len(codes) == len(set(codes))
    assert all(n.name for n in networks.REGISTRY)


@pytest.mark.parametrize("code", sorted(POSTS))
def test_it_knows_each_networks_post_addresses(code: str) -> None:
    assert networks.of_post(POSTS[code]) == code
    assert rules.check_post_url(code, POSTS[code]) is None


def test_it_tells_no_network_for_an_address_that_is_not_a_post() -> None:
    assert networks.of_post("https://example.org/some/page") is None
    assert networks.of_post("https://x.com/NikolPashinyan") is None


def test_it_has_a_connector_for_every_collected_network() -> None:
    for code in networks.COLLECTED_NETWORKS:
        module = importlib.import_module(f"hashrally.listening.connectors.{code}")
        assert callable(module.chunks) and callable(module.run_key)


def test_it_gives_every_account_network_a_handle_rule_and_a_profile() -> None:
    for code in networks.ACCOUNT_NETWORKS:
        network = networks.NETWORKS[code]
        assert network.handle_re is not None and network.profile and network.handle_hint


def test_it_builds_share_addresses_on_each_networks_own_host() -> None:
    for code in sharelinks.NETWORKS:
        url = sharelinks.share_url(code, "#Tag text", "https://example.org/c/x/", "mastodon.social")
        network = networks.NETWORKS[code]
        assert (url is None) == (network.share is None)
        if url is not None:
            assert url.startswith("https://") and "example.org" not in url.split("/")[2]


def test_it_lists_length_rules_only_for_networks_with_a_limit() -> None:
    for code in networks.LENGTH_CHECKED:
        assert networks.NETWORKS[code].limit


def test_it_asks_a_handle_rule_of_every_network_supporters_give_a_handle_for() -> None:
    assert set(networks.SUPPORTER_NETWORKS) <= set(networks.ACCOUNT_NETWORKS)


@pytest.mark.parametrize(
    ("host", "code", "expected"),
    [
        ("x.com", "x", True),
        ("mobile.twitter.com", "x", True),
        ("fox.com", "x", False),
        ("bsky.app", "bluesky", True),
        ("notbsky.app", "bluesky", False),
    ],
)
def test_it_tells_a_networks_hosts_from_look_alikes(host: str, code: str, expected: bool) -> None:
    assert networks.on_host(networks.NETWORKS[code], host) is expected


def test_it_lists_the_account_networks_in_the_campaign_file_docs() -> None:
    from tests.fakes import ROOT

    text = (ROOT / "docs" / "campaign-file.md").read_text("utf-8")
    line = next(line for line in text.splitlines() if line.startswith("# networks: "))
    assert line.removeprefix("# networks: ").split(", ") == list(networks.ACCOUNT_NETWORKS)
