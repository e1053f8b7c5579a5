"""How a step goes on after a turn ended with an error, and when to compact: a table of cases."""

from __future__ import annotations

import pytest

from autocode.supervisor.rules import STALLED, after_error, error_kind, needs_compaction

E = "API Error: 500 req_abc123 at 12:01"
E_AGAIN = "API Error: 500 req_zzz999 at 12:07"  # the same error, other ids and times
OTHER = "API Error: 529 overloaded"


@pytest.mark.parametrize(
    ("error", "before", "changed", "kind", "remembered", "changed_after", "delay"),
    [
        # a usage limit is waited out; nothing is counted
        ("You have reached your usage limit", (), False, "usage_limit", 0, False, 0.0),
        (
            "Claude usage limit reached. Your limit will reset at 5pm",
            (error_kind(E),),
            True,
            "usage_limit",
            1,
            True,
            0.0,
        ),
        # errors are retried with backoff: 5 s, 10 s, ... up to the maximum
        (E, (), False, "retry", 1, False, 5.0),
        (E, (error_kind(OTHER),), False, "retry", 2, False, 10.0),
        (E, (error_kind(OTHER),) * 2 + (error_kind(E),), False, "retry", 4, False, 40.0),
        (E, (error_kind(OTHER),) * 2 + ("x", "y"), False, "retry", 5, False, 60.0),  # capped
        # a stall is retried at once
        (STALLED, (), False, "retry", 1, False, 0.0),
        # the same error a third time (ids and times aside): another approach
        (E_AGAIN, (error_kind(E), error_kind(E)), False, "new_approach", 3, True, 0.0),
        # ... and once more after another approach: the human decides; counting starts over
        (E_AGAIN, (error_kind(E),) * 3, True, "ask_human", 0, False, 0.0),
        # two of one and one of another: still a retry
        (OTHER, (error_kind(E), error_kind(E)), False, "retry", 3, False, 20.0),
    ],
)
def test_after_error(
    error: str,
    before: tuple[str, ...],
    changed: bool,
    kind: str,
    remembered: int,
    changed_after: bool,
    delay: float,
) -> None:
    then = after_error(error, before, approach_changed=changed, stall_seconds=300, backoff_max=60)
    assert (then.kind, len(then.errors), then.approach_changed, then.delay) == (kind, remembered, changed_after, delay)
    if kind == "retry":
        assert then.note is not None and ("300s" in then.note if error == STALLED else error in then.note)


def test_error_kind_drops_ids_counters_and_times() -> None:
    assert error_kind(E) == error_kind(E_AGAIN)
    assert error_kind(E) != error_kind(OTHER)


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [(0, False), (159_999, False), (160_000, True), (250_000, True)],
)
def test_needs_compaction(tokens: int, expected: bool) -> None:
    assert needs_compaction(tokens, window=200_000, ratio=0.8) is expected
