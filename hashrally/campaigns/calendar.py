"""The campaign moment as an iCalendar event (RFC 5545), for people's own calendars."""

from __future__ import annotations

import datetime as dt

import icalendar

# An hour: long enough to post, reply and share; the moment itself is the start.
LENGTH = dt.timedelta(hours=1)
REMIND_BEFORE = dt.timedelta(minutes=15)


def moment_event(
    *, uid: str, at: dt.datetime, title: str, description: str, url: str, stamp: dt.datetime
) -> bytes:
    """One event in UTC (every calendar shows it at the reader's own clock), with an alarm a
    quarter of an hour before. `uid` stays the same for the campaign, so importing it again
    updates the event instead of adding a second one."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//hashrally//campaign moment//EN")
    calendar.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    event.add("dtstart", at.astimezone(dt.UTC))
    event.add("dtend", at.astimezone(dt.UTC) + LENGTH)
    event.add("summary", title)
    event.add("description", description)
    event.add("url", url)
    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", title)
    alarm.add("trigger", -REMIND_BEFORE)
    event.add_component(alarm)
    calendar.add_component(event)
    return bytes(calendar.to_ical())
