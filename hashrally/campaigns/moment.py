"""The campaign moment: one date and hour when supporters post together (an anniversary, say),
written as the organisers think of it (a local time in a named time zone) and kept in UTC."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


def check_time_zone(name: str) -> str | None:
    """Why `name` is not an IANA time zone ("Asia/Baku"), or None."""
    if name not in available_timezones():
        return f"{name!r} is not a time zone name such as Asia/Baku or Europe/Berlin"
    return None


def zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(check_time_zone(name) or str(exc)) from exc


def to_utc(local: dt.datetime, time_zone: str) -> dt.datetime:
    """The UTC instant of a wall-clock time in `time_zone`. A time the clocks skip (a summer-
    time change) is refused rather than moved: the organisers meant some other hour."""
    if local.tzinfo is not None:
        raise ValueError("write the local time without an offset; time_zone says where it is")
    where = zone(time_zone)
    aware = local.replace(tzinfo=where)
    back = aware.astimezone(dt.UTC).astimezone(where).replace(tzinfo=None)
    if back != local:
        raise ValueError(
            f"{local:%Y-%m-%d %H:%M} does not exist in {time_zone} (the clocks skip it)"
        )
    return aware.astimezone(dt.UTC)


def local(at: dt.datetime, time_zone: str) -> dt.datetime:
    """The wall-clock time of a UTC instant in `time_zone`, without its offset."""
    return at.astimezone(zone(time_zone)).replace(tzinfo=None)
