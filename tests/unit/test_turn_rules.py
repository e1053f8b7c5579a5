"""When a turn of Claude Code is over, and what is done meanwhile: a table of cases."""

from __future__ import annotations

import pytest

from autocode.supervisor.screen import ScreenState as S
from autocode.supervisor.turn import PROMPT_LOST, Look, Progress, advance

STALL = 300.0
NOW = 1000.0
LIMIT = "You've hit your 5-hour limit · resets 6:15pm (UTC)"


@pytest.mark.parametrize(
    ("progress", "look", "kind", "error"),
    [
        # the screen asks something: answer it
        (Progress(busy_seen=True), Look(S.PERMISSION), "permission", None),
        (Progress(busy_seen=True), Look(S.QUESTION), "question", None),
        (Progress(), Look(S.TRUST_DIALOG), "dialog", None),
        (Progress(), Look(S.KEY_DIALOG), "dialog", None),
        (Progress(), Look(S.BYPASS_DIALOG), "dialog", None),
        (Progress(busy_seen=True), Look(S.EXITED), "gone", None),
        # working: wait, unless nothing moved for the stall time
        (Progress(last_change=NOW - 5), Look(S.BUSY), "wait", None),
        (Progress(last_change=NOW - 5), Look(S.RETRYING), "wait", None),
        (Progress(last_change=NOW - STALL - 1), Look(S.BUSY), "stalled", None),
        (Progress(last_change=NOW - STALL - 1), Look(S.RETRYING), "stalled", None),
        (Progress(), Look(S.UNKNOWN), "wait", None),
        # the Stop hook and the prompt back: the turn is over
        (Progress(busy_seen=True, stop_seen=True, has_texts=True), Look(S.IDLE), "end", None),
        (Progress(stop_seen=True), Look(S.IDLE), "end", None),  # a turn too quick to be seen busy
        (Progress(stop_seen=True), Look(S.ERROR, error="API Error: 500"), "end", "API Error: 500"),
        # an API error of the turn counts only when Claude Code said nothing
        (Progress(stop_seen=True, last_error="overloaded"), Look(S.IDLE), "end", "overloaded"),
        (Progress(stop_seen=True, last_error="overloaded", has_texts=True), Look(S.IDLE), "end", None),
        # a usage limit ends the turn with that error, whatever Claude Code said before it
        (Progress(stop_seen=True, has_texts=True, limit_error=LIMIT), Look(S.IDLE), "end", LIMIT),
        (Progress(stop_seen=True, last_error="overloaded", limit_error=LIMIT), Look(S.IDLE), "end", LIMIT),
        # the Stop hook but the screen still busy: wait for the prompt
        (Progress(busy_seen=True, stop_seen=True, last_change=NOW), Look(S.BUSY), "wait", None),
        # no Stop hook: idle long enough after being busy ends it
        (Progress(busy_seen=True, idle_since=NOW - 3.0), Look(S.IDLE), "end", None),
        (Progress(busy_seen=True, idle_since=NOW - 2.9), Look(S.IDLE), "wait", None),
        (Progress(busy_seen=True), Look(S.IDLE), "wait", None),  # idle only from now on
        # never busy and idle for long: the prompt was lost
        (Progress(idle_since=NOW - 10.5), Look(S.IDLE), "end", PROMPT_LOST),
        (Progress(idle_since=NOW - 9.0), Look(S.IDLE), "wait", None),
    ],
)
def test_advance(progress: Progress, look: Look, kind: str, error: str | None) -> None:
    action = advance(progress, look, NOW, stall_seconds=STALL)
    assert (action.kind, action.error) == (kind, error)


def test_busy_marks_the_turn_started_and_clears_idle() -> None:
    action = advance(Progress(idle_since=NOW - 1), Look(S.BUSY), NOW, stall_seconds=STALL)
    assert action.progress.busy_seen and action.progress.idle_since is None


def test_idle_is_timed_from_the_first_idle_look() -> None:
    first = advance(Progress(busy_seen=True), Look(S.IDLE), NOW, stall_seconds=STALL)
    assert first.progress.idle_since == NOW
    later = advance(first.progress, Look(S.IDLE), NOW + 1, stall_seconds=STALL)
    assert later.progress.idle_since == NOW and later.kind == "wait"
    asked = advance(later.progress, Look(S.PERMISSION), NOW + 2, stall_seconds=STALL)
    assert asked.progress.idle_since is None
