"""When a turn of Claude Code is over, and what the supervisor does meanwhile (pure: no I/O).

``advance`` takes what is known of the running turn and the latest look at the screen and
says what to do: keep waiting, answer what the screen asks, interrupt a stalled turn, or end
the turn (cleanly or with an error). The supervisor's ``wait_turn`` does the acting.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from autocode.supervisor.screen import ScreenState

FALLBACK_IDLE_SECONDS = 3.0  # idle this long after being busy ends a turn with no Stop hook
PROMPT_LOST_SECONDS = 10.0  # idle this long without ever being busy: the prompt was not taken
PROMPT_LOST = "Claude Code did not start working on the prompt"

_DIALOGS = (ScreenState.TRUST_DIALOG, ScreenState.KEY_DIALOG, ScreenState.BYPASS_DIALOG)

Kind = Literal["wait", "gone", "permission", "question", "dialog", "stalled", "end"]


@dataclass(frozen=True)
class Progress:
    """What is known of the running turn between two looks."""

    busy_seen: bool = False
    stop_seen: bool = False
    idle_since: float | None = None  # when the screen was first seen idle (monotonic)
    last_change: float = 0.0  # when anything last moved (screen, hooks, transcript)
    has_texts: bool = False  # Claude Code said something in this turn
    last_error: str | None = None  # the last API error of the turn (transcript, StopFailure)
    limit_error: str | None = None  # a usage limit met in the turn: it ends the turn whatever was said


@dataclass(frozen=True)
class Look:
    """The screen, as read last."""

    state: ScreenState
    error: str | None = None


@dataclass(frozen=True)
class Action:
    kind: Kind
    progress: Progress  # the turn's progress after this look
    error: str | None = None  # for "end": None when the turn ended cleanly


def advance(progress: Progress, look: Look, now: float, *, stall_seconds: float) -> Action:
    """The next thing to do for the turn, given the latest look at ``now``."""
    state = look.state
    if state == ScreenState.EXITED:
        return Action("gone", progress)
    if state in (ScreenState.PERMISSION, ScreenState.QUESTION):
        return Action(
            "permission" if state == ScreenState.PERMISSION else "question", replace(progress, idle_since=None)
        )
    if state in (ScreenState.BUSY, ScreenState.RETRYING):
        progress = replace(progress, busy_seen=True, idle_since=None)
        if now - progress.last_change > stall_seconds:
            return Action("stalled", progress)
        return Action("wait", progress)
    if state in (ScreenState.IDLE, ScreenState.ERROR):
        idle_since = progress.idle_since if progress.idle_since is not None else now
        progress = replace(progress, idle_since=idle_since)
        if progress.stop_seen or (progress.busy_seen and now - idle_since >= FALLBACK_IDLE_SECONDS):
            error = look.error if state == ScreenState.ERROR else None
            if error is None and progress.last_error is not None and not progress.has_texts:
                error = progress.last_error
            if progress.limit_error is not None:
                error = progress.limit_error
            return Action("end", progress, error)
        if not progress.busy_seen and now - idle_since > PROMPT_LOST_SECONDS:
            return Action("end", progress, PROMPT_LOST)
        return Action("wait", progress)
    if state in _DIALOGS:
        return Action("dialog", progress)
    return Action("wait", progress)  # UNKNOWN: a frame between two screens
