"""How a step goes on after a turn ended badly (pure: no I/O): retry with backoff, take another
approach, ask the human, wait out a usage limit; and when the context needs compacting."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from autocode.supervisor import usage_limit

SAME_ERROR_LIMIT = 3
CRASH_LIMIT = 3
FOLLOW_UP_LIMIT = 5
BACKOFF_BASE = 5.0
STALLED = "stalled: no output for too long"

ErrorKind = Literal["usage_limit", "ask_human", "new_approach", "retry"]


def error_kind(error: str) -> str:
    """An error without what changes between occurrences (ids, counters, times)."""
    return re.sub(r"\b(?:req|msg|toolu)_\w+|[0-9a-f]{8,}(?:-[0-9a-f]{4,})*|\d+", "#", error).strip()[:500]


@dataclass(frozen=True)
class AfterError:
    kind: ErrorKind
    errors: tuple[str, ...]  # the step's error kinds to remember from now on
    approach_changed: bool  # whether another approach was asked for since the human last spoke
    delay: float = 0.0  # for "retry": seconds to wait first
    note: str | None = None  # for "retry": what the step's prompt is sent with


def after_error(
    error: str,
    errors: Sequence[str],
    *,
    approach_changed: bool,
    stall_seconds: float,
    backoff_max: float,
) -> AfterError:
    """What to do after a turn ended with ``error``, given the step's earlier error kinds."""
    if usage_limit.is_usage_limit(error):
        return AfterError("usage_limit", tuple(errors), approach_changed)
    seen = (*errors, error_kind(error))
    same = sum(1 for e in seen if e == seen[-1])
    if same >= SAME_ERROR_LIMIT and approach_changed:
        return AfterError("ask_human", (), False)
    if same >= SAME_ERROR_LIMIT:
        return AfterError("new_approach", seen, True)
    if error == STALLED:
        note = (
            f"You were interrupted because nothing happened for {stall_seconds:.0f}s."
            " Say in one line what happened, then continue the step."
        )
        return AfterError("retry", seen, approach_changed, 0.0, note)
    delay = min(backoff_max, BACKOFF_BASE * 2 ** (len(seen) - 1))
    note = f"The previous attempt ended with this error: {error}. Continue the step."
    return AfterError("retry", seen, approach_changed, delay, note)


def needs_compaction(context_tokens: int, *, window: int, ratio: float) -> bool:
    """Whether Claude Code's context is full enough to compact before going on."""
    return context_tokens >= int(window * ratio)
