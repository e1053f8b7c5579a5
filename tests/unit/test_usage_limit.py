"""When a usage limit resets, read from Claude Code's words and transcript: a table of cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from autocode.supervisor.usage_limit import (
    MAX_WAIT,
    is_usage_limit,
    offers_auto_continue,
    reset_from_entry,
    reset_from_text,
    resume_at,
)

NOW = datetime(2026, 12, 7, 16, 45, 30, tzinfo=UTC)  # a Monday afternoon
BERLIN = ZoneInfo("Europe/Berlin")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, tz: Any = UTC) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=tz).astimezone(UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # what 2.1.330 shows (screen, StopFailure hook, transcript text): the end of the named minute
        ("You've hit your 5-hour limit · resets 6:15pm (UTC)", at(2026, 12, 7, 18, 16)),
        ("You've hit your session limit · resets 6pm (UTC)", at(2026, 12, 7, 18, 1)),
        ("You've hit your 5-hour limit · resets 6:15pm (Europe/Berlin)", at(2026, 12, 7, 18, 16, tz=BERLIN)),
        ("You've hit your weekly limit · resets Dec 10, 9am (UTC)", at(2026, 12, 10, 9, 1)),
        (
            "You've hit your weekly limit · resets Dec 10, 9:30am (America/New_York)",
            at(2026, 12, 10, 9, 31, tz=ZoneInfo("America/New_York")),
        ),
        ("You've hit your weekly limit · resets Jan 2, 2027, 9am (UTC)", at(2027, 1, 2, 9, 1)),
        ("You've hit your weekly limit · resets Jan 2, 9am (UTC)", at(2027, 1, 2, 9, 1)),  # a date long gone: next year
        # the footer and the notice, without a zone: Claude Code's own zone (UTC here)
        ("⚠ Usage limit reached · limit resets 6:15pm", at(2026, 12, 7, 18, 16)),
        ("Usage limit reached · set to continue automatically at 6:15pm", at(2026, 12, 7, 18, 16)),
        # a time of day already gone is tomorrow's; one just gone is today's (it has reset)
        ("You've hit your 5-hour limit · resets 2am (UTC)", at(2026, 12, 8, 2, 1)),
        ("You've hit your 5-hour limit · resets 4:40pm (UTC)", at(2026, 12, 7, 16, 41)),
        ("You've hit your 5-hour limit · resets 12am (UTC)", at(2026, 12, 8, 0, 1)),
        ("You've hit your 5-hour limit · resets 12pm (UTC)", at(2026, 12, 8, 12, 1)),
        # older releases
        ("Claude AI usage limit reached|1796667331", datetime.fromtimestamp(1796667331, UTC)),
        (
            "Claude usage limit reached. Your limit will reset at 7pm (Europe/Berlin).",
            at(2026, 12, 7, 19, 1, tz=BERLIN),
        ),
        ("5-hour limit reached ∙ resets 7pm", at(2026, 12, 7, 19, 1)),
        # an unknown zone falls back to the default one
        ("You've hit your 5-hour limit · resets 6:15pm (Mars/Olympus)", at(2026, 12, 7, 18, 16)),
        # nothing to read
        ("You've hit your 5-hour limit", None),
        ("API Error: 500 Internal server error", None),
        ("resets 13pm (UTC)", None),
        ("resets 6:75pm (UTC)", None),
        ("resets Feb 31, 9am (UTC)", None),
        ("resets Foo 3, 9am (UTC)", None),
        ("Claude AI usage limit reached|12", None),
    ],
)
def test_reset_from_text(text: str, expected: datetime | None) -> None:
    assert reset_from_text(text, NOW) == expected


def test_a_time_without_a_zone_is_read_in_the_given_zone() -> None:
    found = reset_from_text("limit resets 6:15pm", NOW, tz=BERLIN)
    assert found == at(2026, 12, 7, 18, 16, tz=BERLIN)


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("You've hit your 5-hour limit · resets 6:15pm (UTC)", True),
        ("You've hit your session limit · resets 6pm (UTC)", True),
        ("You've hit your weekly limit · resets Dec 10, 9am (UTC)", True),
        ("You've hit your monthly spend limit · your 5-hour limit resets 6pm", True),
        ("⚠ Usage limit reached · limit resets 6:15pm", True),
        ("Claude AI usage limit reached|1796667331", True),
        ("Claude usage limit reached. Your limit will reset at 7pm (Europe/Berlin).", True),
        ("You're out of extra usage · resets 6pm", True),
        # not a usage limit: an API key's rate limit (retried), the context window, other errors
        ("API Error: Request rejected (429) · Rate limited", False),
        ("Context limit reached · /compact or /clear to continue", False),
        ("API Error: 500 Internal server error", False),
        ("rate_limit", False),
        ("stalled: no output for too long", False),
    ],
)
def test_is_usage_limit(text: str, limit: bool) -> None:
    assert is_usage_limit(text) is limit


ERROR_ENTRY: dict[str, Any] = {
    "type": "assistant",
    "isApiErrorMessage": True,
    "error": "rate_limit",
    "apiError": "usage_limit_reached",
    "message": {"content": [{"type": "text", "text": "You've hit your 5-hour limit · resets 6:15pm (UTC)"}]},
}


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            {**ERROR_ENTRY, "apiErrorParams": {"rate_limit_info": {"status": "rejected", "resetsAt": 1796667331}}},
            datetime.fromtimestamp(1796667331, UTC),
        ),
        ({**ERROR_ENTRY, "quotaLimits": {"resetsAt": 1796667331.4}}, datetime.fromtimestamp(1796667331, UTC)),
        (
            {
                **ERROR_ENTRY,
                "apiErrorParams": {"rate_limit_info": {"resetsAt": "soon"}},
                "quotaLimits": {"resetsAt": 1796667000},
            },
            datetime.fromtimestamp(1796667000, UTC),
        ),
        (ERROR_ENTRY, None),  # no epoch: the text is read instead
        ({**ERROR_ENTRY, "quotaLimits": {"resetsAt": True}}, None),
        ({**ERROR_ENTRY, "quotaLimits": {"resetsAt": float("nan")}}, None),
        ({**ERROR_ENTRY, "quotaLimits": {"resetsAt": 1796667331000}}, None),  # milliseconds: not believed
        ({**ERROR_ENTRY, "apiErrorParams": "x", "quotaLimits": ["x"]}, None),
        ({**ERROR_ENTRY, "isApiErrorMessage": False, "quotaLimits": {"resetsAt": 1796667331}}, None),
    ],
)
def test_reset_from_entry(entry: dict[str, Any], expected: datetime | None) -> None:
    assert reset_from_entry(entry) == expected


FALLBACK = timedelta(seconds=900)


@pytest.mark.parametrize(
    ("reset", "expected"),
    [
        (NOW + timedelta(hours=2), NOW + timedelta(hours=2)),  # the reset itself
        (NOW + timedelta(days=7), NOW + timedelta(days=7)),  # a weekly limit
        (None, NOW + FALLBACK),  # unknown: the configured wait
        (NOW - timedelta(minutes=3), NOW),  # just gone: it has reset
        (NOW - timedelta(hours=3), NOW + FALLBACK),  # long gone: not believed
        (NOW + timedelta(days=30), NOW + FALLBACK),  # beyond the cap: not believed
    ],
)
def test_resume_at(reset: datetime | None, expected: datetime) -> None:
    assert resume_at(reset, NOW, fallback=FALLBACK) == expected


def test_the_fallback_is_capped_too() -> None:
    assert resume_at(None, NOW, fallback=timedelta(days=100)) == NOW + MAX_WAIT


FOOTER = """\
❯ hello there
  ⎿  You've hit your 5-hour limit · resets 4:46pm (UTC)
● Usage limit reached · set to continue automatically at 4:46pm
────────────────────────────────────────────────────────────────
❯\u00a0
────────────────────────────────────────────────────────────────
  ⚠ Usage limit reached · limit resets 4:46pm
    {next}
  ⏵⏵ bypass permissions on (shift+tab to cycle) · ← for agents
"""


@pytest.mark.parametrize(
    ("screen", "offers"),
    [
        (FOOTER.format(next="Continuing automatically at 4:46pm · Esc to cancel"), True),
        (FOOTER.format(next="Continuing shortly · Esc to cancel"), True),  # past the reset, not yet gone on
        (FOOTER.format(next="Press enter to continue"), False),
        # after Esc: the notice stays in the conversation, the footer offer is gone
        (
            "● Automatic continue cancelled · /rate-limit-options to wait again\n❯\u00a0\n"
            "  ⏵⏵ bypass permissions on (shift+tab to cycle)\n",
            False,
        ),
        # the words far above the footer (old text) do not count
        ("Continuing automatically at 4:46pm · Esc to cancel\n" + "line\n" * 20, False),
    ],
)
def test_offers_auto_continue(screen: str, offers: bool) -> None:
    assert offers_auto_continue(screen) is offers
