"""Estimated countries from profile locations and post languages, on cases with known answers."""

from __future__ import annotations

import pytest

from hashrally.reports.geo import LANGUAGE_COUNTRIES, estimate, from_language, place


@pytest.mark.parametrize(
    ("location", "country"),
    [
        # The cases the reports rely on.
        ("Baku, Azerbaijan", "AZ"),
        ("Bakı", "AZ"),
        ("🇦🇿", "AZ"),
        ("London", "GB"),
        ("İstanbul", "TR"),
        ("Москва", "RU"),  # GeoNames alternate names include the Cyrillic one
        ("Paris, France", "FR"),
        # Case, width and diacritics do not matter.
        ("BAKU", "AZ"),
        ("baki", "AZ"),
        ("Istanbul", "TR"),
        ("ＢＡＫＵ", "AZ"),
        ("Gəncə", "AZ"),
        # Country names in English and other languages, and common alternates.
        ("Azerbaijan", "AZ"),
        ("Azərbaycan", "AZ"),
        ("Türkiye", "TR"),
        ("Turkey", "TR"),
        ("Россия", "RU"),
        ("Deutschland", "DE"),
        ("España", "ES"),
        ("Україна", "UA"),
        ("USA", "US"),
        ("U.S.", "US"),
        ("U.S.A.", "US"),
        ("UK", "GB"),
        ("UAE", "AE"),
        ("Bolivia", "BO"),
        ("Côte d'Ivoire", "CI"),
        # Upper-case alpha-3 codes alone in their part.
        ("AZE", "AZ"),
        ("Baku, AZE", "AZ"),
        # Cities: the most populous of that name; several words; other scripts.
        ("Moscow", "RU"),
        ("New York", "US"),
        ("Rio de Janeiro", "BR"),
        ("Санкт-Петербург", "RU"),
        ("Tbilisi", "GE"),
        ("Երևան", "AM"),
        ("東京", "JP"),
        ("Greater London Area", "GB"),
        # Flags with text, and the subdivision flag of Scotland.
        ("Istanbul 🇹🇷", "TR"),
        ("🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", "GB"),
        # A country, state or region in another part outweighs the city's namesake.
        ("Paris, TX", "US"),
        ("Moscow, Idaho", "US"),
        ("Melbourne, Victoria", "AU"),
        ("Toronto, Ontario", "CA"),
        # "Georgia" is a country or a US state; the city decides.
        ("Atlanta, Georgia", "US"),
        ("Tbilisi, Georgia", "GE"),
        # A two-letter code after a city: a US state or a country, whichever has the city.
        ("Chennai, IN", "IN"),
        ("Berlin, DE", "DE"),
        ("Los Angeles, CA", "US"),
    ],
)
def test_it_finds_the_country_a_location_names(location: str, country: str) -> None:
    assert place(location) == country


@pytest.mark.parametrize(
    "location",
    [
        "",
        "   ",
        "Earth",
        "Planet Earth",
        "Home",
        "Worldwide",
        "somewhere over the rainbow",
        "she/her",
        "Latin America",
        "Europe",
        "Africa",
        # Upper-case words that are codes only when alone after a city.
        "IN",
        "ME",
        "CAN",
        "Nowhere, ME",
        # Names of several countries.
        "Korea",
        "Congo",
        "Georgia",
        # Parts that disagree.
        "Moscow / Baku",
        "Berlin & Paris",
        "Turkey / Germany",
        "🇹🇷🇦🇿",
    ],
)
def test_it_answers_none_rather_than_guess_from_a_location(location: str) -> None:
    assert place(location) is None


def test_it_prefers_the_country_named_over_a_city_elsewhere() -> None:
    # A country name is what the author chose to say; the city may be a namesake or a move.
    assert place("Istanbul, Azerbaijan") == "AZ"


def test_it_ignores_city_names_inside_a_long_sentence() -> None:
    assert place("Proud dad living in Baku") == "AZ"
    assert place("dreaming of a quiet life far away from the noise of Baku") is None
    assert place("dreaming of a quiet life far away from the noise, Azerbaijan") == "AZ"


@pytest.mark.parametrize(
    ("language", "country"),
    [
        ("az", "AZ"),
        ("az-Latn", "AZ"),
        ("AZ", "AZ"),
        ("tr", "TR"),
        ("hy", "AM"),
        ("ka", "GE"),
        ("uk", "UA"),
        ("ja", "JP"),
        ("nb", "NO"),
        ("no", "NO"),
        ("iw", "IL"),  # X's legacy code for Hebrew
        ("in", "ID"),  # X's legacy code for Indonesian
        ("pt_BR", None),  # the region is the reader's setting, not a location
        ("en", None),
        ("es", None),
        ("fr", None),
        ("ar", None),
        ("ru", None),
        ("pt", None),
        ("de", None),
        ("zh", None),
        ("hi", None),
        ("sw", None),
        ("und", None),
        ("", None),
    ],
)
def test_it_places_only_languages_spoken_mainly_in_one_country(
    language: str, country: str | None
) -> None:
    assert from_language(language) == country


def test_it_points_languages_to_real_country_codes() -> None:
    from django_countries.data import COUNTRIES

    assert set(LANGUAGE_COUNTRIES.values()) <= set(COUNTRIES)


@pytest.mark.parametrize(
    ("location", "language", "expected"),
    [
        ("Baku", "en", ("AZ", "location")),
        ("Paris, France", "az", ("FR", "location")),
        ("", "az", ("AZ", "language")),
        ("Earth", "tr", ("TR", "language")),
        ("Earth", "en", (None, "")),
        ("", "", (None, "")),
    ],
)
def test_it_estimates_from_the_location_then_the_language(
    location: str, language: str, expected: tuple[str | None, str]
) -> None:
    assert estimate(location, language) == expected
