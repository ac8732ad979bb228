"""What the Unicode CLDR (through Babel) knows of languages: which way a language's text runs,
and country names in every interface language.

Django's own language table marks Azerbaijani as right to left (its Arabic-script past), and
django-countries has no Azerbaijani names; CLDR has both right, for every language a campaign
may be written in.
"""

from __future__ import annotations

import datetime as dt
import functools

from babel import Locale, UnknownLocaleError
from django.utils import translation
from django_countries import countries

# When CLDR does not know a tag at all: the languages usually written right to left.
_RTL = {"ar", "arc", "ckb", "dv", "fa", "he", "ks", "ps", "sd", "syr", "ug", "ur", "yi"}


@functools.cache
def _locale(language: str) -> Locale | None:
    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return None


def is_rtl(language: str) -> bool:
    """Whether text in `language` (a BCP 47 tag: "ar", "az", "az-Arab") runs right to left:
    the script the tag names, else the script the language is usually written in."""
    locale = _locale(language) if language else None
    if locale is None:
        return language.split("-")[0].lower() in _RTL
    return bool(locale.character_order == "right-to-left")


def country_name(code: str, language: str | None = None) -> str:
    """The country's name in `language` (the active one by default): CLDR's, else
    django-countries' (English), else the code."""
    locale = _locale(language or translation.get_language() or "en")
    name = locale.territories.get(code.upper()) if locale is not None else None
    return str(name or countries.name(code) or code)


@functools.cache
def country_choices(language: str) -> tuple[tuple[str, str], ...]:
    """Every country (django-countries' list of ISO 3166 codes), named in `language` and in
    that language's alphabetical order as far as case-folding gives it."""
    named = [(c.code, country_name(c.code, language)) for c in countries]
    return tuple(sorted(named, key=lambda pair: pair[1].casefold()))


def moment_text(at: dt.datetime, time_zone: str, language: str) -> str:
    """A moment as people read it in `language`, at the clock of `time_zone`, with that zone's
    name and UTC offset: "Friday, February 26, 2027, 5:00 PM (Azerbaijan Standard Time,
    UTC+04:00)". Pages turn it into the reader's own time when their browser can."""
    from zoneinfo import ZoneInfo

    from babel.dates import format_date, format_time, get_timezone_name

    locale = _locale(language) or Locale("en")
    local = at.astimezone(ZoneInfo(time_zone))
    offset = local.strftime("%z")
    # The language's own way of joining a date and a time ("{1}, {0}"; Arabic's comma is ،).
    joined = str(locale.datetime_formats["full"]).replace("'", "")
    when = joined.format(
        format_time(local, "short", locale=locale), format_date(local.date(), "full", locale=locale)
    )
    zone = get_timezone_name(local, "long", locale=locale)
    comma = joined.partition("{1}")[2].partition("{0}")[0].strip() or ","
    return f"{when} ({zone}{comma} UTC{offset[:3]}:{offset[3:]})"
