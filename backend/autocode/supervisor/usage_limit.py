"""When a Claude subscription's usage limit resets, from what Claude Code shows. No I/O.

Observed with Claude Code 2.1.330 (tools/claude-code/package.json), logged in with a
subscription token, when the API answers 429 with the ``anthropic-ratelimit-unified-*`` headers:

- The transcript gets a synthetic assistant entry (``isApiErrorMessage``, ``error: "rate_limit"``,
  ``apiError: "usage_limit_reached"``) whose ``apiErrorParams.rate_limit_info.resetsAt`` and
  ``quotaLimits.resetsAt`` carry the epoch seconds of ``anthropic-ratelimit-unified-reset``:
  the precise source, used first (:func:`reset_from_entry`).
- Its text, which is also the ``StopFailure`` hook's ``last_assistant_message`` and what the screen
  shows, names the time only to the minute: ``You've hit your 5-hour limit · resets 6:15pm (UTC)``,
  ``... · resets Dec 8, 9am (Europe/Berlin)`` when more than a day ahead, with the year when it
  differs. Seconds are cut, not rounded, so a time read from text is taken as the end of its
  minute (:func:`reset_from_text`). Older releases printed ``Claude AI usage limit reached|<epoch>``.
- The footer offers ``Continuing automatically at 6:15pm · Esc to cancel``: Claude Code would
  continue by itself after the reset. The supervisor cancels that and continues the step itself.
- An API key's 429 (``Request rejected (429) · ...``) is a rate limit, not a usage limit: it is
  retried like any error, so :func:`is_usage_limit` does not match it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Never wait longer than this for one reset (a weekly limit resets at most 7 days ahead).
MAX_WAIT = timedelta(days=7, hours=1)
#: A reset already gone by at most this much is taken as "the limit has reset".
PAST_GRACE = timedelta(minutes=10)
#: The text form names a minute; the reset is somewhere in it.
MINUTE = timedelta(minutes=1)

_LIMIT = re.compile(
    r"usage limit|hit your [\w\s-]{0,40}?limit|(?:session|hour|weekly|daily|monthly|opus|sonnet|spend|usage) limit "
    r"(?:reached|will reset)|limit will reset|out of (?:extra )?usage",
    re.I,
)
_NOT_LIMIT = re.compile(r"context limit|Request rejected \(429\)|prompt is too long", re.I)
_EPOCH = re.compile(r"usage limit reached\|(\d{9,11})\b", re.I)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WHEN = re.compile(
    r"(?:resets?|automatically)\s+(?:at\s+)?"
    r"(?:(?P<mon>[A-Za-z]{3})[a-z]*\.? (?P<day>\d{1,2}),? (?:(?P<year>\d{4}),? )?(?:at )?)?"
    r"(?P<hour>\d{1,2})(?::(?P<min>\d{2}))?\s?(?P<ampm>[ap]\.?m\.?)"
    r"(?:\s*\((?P<tz>[A-Za-z][\w+\-/]{0,63})\))?",
    re.I,
)


_AUTO_CONTINUE = re.compile(r"Continuing (?:automatically|shortly)\b.*\bEsc to cancel")
_FOOTER_LINES = 8


def offers_auto_continue(screen: str) -> bool:
    """Whether Claude Code's footer offers to continue by itself after the reset (Esc cancels)."""
    lines = [ln for ln in screen.split("\n") if ln.strip()][-_FOOTER_LINES:]
    return any(_AUTO_CONTINUE.search(ln) for ln in lines)


def is_usage_limit(text: str) -> bool:
    """Whether an error Claude Code shows is a subscription usage limit (not a rate limit)."""
    return bool(_LIMIT.search(text) or _EPOCH.search(text)) and not _NOT_LIMIT.search(text)


def _from_epoch(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    if not 1e9 <= value < 1e11:  # seconds since 1970, between 2001 and 5138
        return None
    return datetime.fromtimestamp(int(value), UTC)


def reset_from_entry(entry: Mapping[str, Any]) -> datetime | None:
    """The reset time a transcript entry of a usage-limit error carries (epoch seconds), or None."""
    if not entry.get("isApiErrorMessage"):
        return None
    params = entry.get("apiErrorParams")
    info = params.get("rate_limit_info") if isinstance(params, Mapping) else None
    for source in (info, entry.get("quotaLimits")):
        if isinstance(source, Mapping):
            found = _from_epoch(source.get("resetsAt"))
            if found is not None:
                return found
    return None


def _zone(name: str | None, default: tzinfo) -> tzinfo:
    if not name:
        return default
    if name.upper() in ("UTC", "GMT", "Z"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return default


def reset_from_text(text: str, now: datetime, *, tz: tzinfo = UTC) -> datetime | None:
    """The reset time an error text names, or None.

    ``now`` is aware. A time without a zone is read in ``tz`` (Claude Code prints in its own
    process's zone). A time of day without a date is the next one after ``now`` (allowing
    :data:`PAST_GRACE`); a date without a year is this year's, or next year's when long gone.
    A time read to the minute comes back as the end of that minute: the reset is no later.
    """
    epoch = _EPOCH.search(text)
    if epoch:
        return _from_epoch(int(epoch.group(1)))
    m = _WHEN.search(text)
    if m is None:
        return None
    hour, minute = int(m["hour"]), int(m["min"] or 0)
    if not 1 <= hour <= 12 or minute > 59:
        return None
    hour = hour % 12 + (12 if m["ampm"].lower().startswith("p") else 0)
    zone = _zone(m["tz"], tz)
    local_now = now.astimezone(zone)
    try:
        if m["mon"]:
            month_name = m["mon"].lower()
            if month_name not in _MONTHS:
                return None
            month, day = _MONTHS.index(month_name) + 1, int(m["day"])
            year = int(m["year"]) if m["year"] else local_now.year
            found = datetime(year, month, day, hour, minute, tzinfo=zone)
            if not m["year"] and found < local_now - timedelta(days=1):
                found = found.replace(year=year + 1)
        else:
            found = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
            if found + MINUTE < local_now - PAST_GRACE:
                found = datetime.combine(found.date() + timedelta(days=1), found.timetz())
    except ValueError:  # 31 Feb and the like
        return None
    return (found + MINUTE).astimezone(UTC)


def resume_at(reset: datetime | None, now: datetime, *, fallback: timedelta) -> datetime:
    """When to go on: at the reset, or after ``fallback`` when it is unknown or unbelievable.

    A reset a little in the past means the limit has reset (go on now); one further back or
    more than :data:`MAX_WAIT` ahead is not believed: ``fallback`` (itself capped) applies.
    """
    if reset is not None and now - PAST_GRACE <= reset <= now + MAX_WAIT:
        return max(reset, now)
    return now + min(fallback, MAX_WAIT)


__all__ = [
    "MAX_WAIT",
    "PAST_GRACE",
    "is_usage_limit",
    "offers_auto_continue",
    "reset_from_entry",
    "reset_from_text",
    "resume_at",
]
