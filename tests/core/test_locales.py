"""Directions and country names from CLDR, checked against what the languages' own writing
systems are (not against hashrally's tables)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from hashrally.core import locales


@pytest.mark.parametrize(
    ("language", "rtl"),
    [
        ("az", False),  # Azerbaijani is written in Latin script (Django's table says RTL)
        ("az-Latn", False),
        ("az-Arab", True),
        ("ar", True),
        ("fa", True),
        ("he", True),
        ("ur", True),
        ("ckb", True),
        ("ku", False),
        ("en", False),
        ("ru", False),
        ("tr", False),
        ("xx-unknown", False),
    ],
)
def test_it_knows_which_way_a_language_is_written(language: str, rtl: bool) -> None:
    assert locales.is_rtl(language) is rtl


def test_it_names_countries_in_the_interface_languages() -> None:
    assert locales.country_name("AZ", "az") == "Azərbaycan"
    assert locales.country_name("AM", "az") == "Ermənistan"
    assert locales.country_name("AZ", "ru") == "Азербайджан"
    assert locales.country_name("AZ", "ar") == "أذربيجان"
    assert locales.country_name("AZ", "tr") == "Azerbaycan"
    choices = locales.country_choices("az")
    assert len(choices) >= 249 and ("DE", "Almaniya") in choices
    names = [name for _, name in choices]
    assert names == sorted(names, key=str.casefold)


@pytest.mark.django_db
def test_it_sets_the_campaign_texts_direction_from_its_script(campaigns: list[str]) -> None:
    html = Client().get("/c/recognize-to-reconcile/?lang=az").content.decode()
    block = re.search(r'<article class="campaign" lang="(\w+)" dir="(\w+)"', html)
    assert block and block.groups() == ("az", "ltr")
    join = Client().get("/c/recognize-to-reconcile/join?lang=az").content.decode()
    assert '<option value="AZ">Azərbaycan</option>' in join


@pytest.mark.django_db
def test_it_says_in_which_language_a_campaign_text_is_shown(campaigns: list[str]) -> None:
    # The test campaign has no Arabic text: the Arabic page says it shows the English one.
    arabic = Client().get("/c/recognize-to-reconcile/?lang=ar").content.decode()
    assert 'lang="en" dir="ltr"' in arabic and "English" in arabic
    notice = re.search(r'<p class="notice">([^<]+)</p>\s*<article', arabic)
    assert notice and "English" in notice.group(1)
    # Headings in the page's language inside the English block run right to left.
    assert re.search(r'<h2 id="steps-h" lang="ar" dir="rtl">', arabic)
    russian = Client().get("/c/recognize-to-reconcile/?lang=ru").content.decode()
    assert not re.search(r'<p class="notice">[^<]+</p>\s*<article', russian)
