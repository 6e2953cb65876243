"""Times as staff read them: UTC ISO for the browser, station time for files.

SQLite hands stored times back without a zone; everything stored is UTC, so a
naive value is UTC (PostgreSQL returns them aware).
"""

from __future__ import annotations

import datetime as dt

from assistant.services.meals import station_tz
from assistant.settings import Settings


def as_utc(value: dt.datetime) -> dt.datetime:
    """The stored time, timezone-aware in UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def iso_utc(value: dt.datetime | None) -> str | None:
    """ISO 8601 with the zone, for the console's own formatting."""
    return as_utc(value).isoformat() if value else None


def station_text(settings: Settings, value: dt.datetime | None) -> str:
    """``YYYY-MM-DD HH:mm`` in the station's time zone ('' for no time)."""
    if value is None:
        return ""
    return as_utc(value).astimezone(station_tz(settings)).strftime("%Y-%m-%d %H:%M")
