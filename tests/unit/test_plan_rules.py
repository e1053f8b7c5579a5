"""The plan rules, as a table: only pending steps are added, edited, removed or reordered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from autocode.services import plan_rules as r


def plan(spec: str) -> list[dict[str, Any]]:
    """'A:done B:pending' -> steps titled A, B with those statuses (and a summary when done)."""
    out: list[dict[str, Any]] = []
    for item in spec.split():
        title, _, status = item.partition(":")
        step: dict[str, Any] = {"title": title, "detail": "", "status": status}
        if status == "done":
            step["summary"] = f"did {title}"
        out.append(step)
    return out


def shape(p: list[dict[str, Any]]) -> str:
    return " ".join(f"{s['title']}:{s['status']}" for s in p)


Change = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]

CASES: list[tuple[str, str, Change, str]] = [
    # (name, before, change, after or "!kind: message part")
    ("append to a completed plan", "A:done B:done", lambda p: r.append_step(p, "C"), "A:done B:done C:pending"),
    ("append to an empty plan", "", lambda p: r.append_step(p, "A"), "A:pending"),
    ("edit a pending step", "A:done B:pending", lambda p: r.edit_step(p, 2, "B2", "d"), "A:done B2:pending"),
    ("edit a done step", "A:done B:pending", lambda p: r.edit_step(p, 1, "X", ""), "!conflict:Step 1 is done"),
    ("edit a failed step", "A:failed", lambda p: r.edit_step(p, 1, "X", ""), "!conflict:Step 1 is failed"),
    ("edit a running step", "A:running", lambda p: r.edit_step(p, 1, "X", ""), "!conflict:Step 1 is running"),
    ("edit beyond the plan", "A:done", lambda p: r.edit_step(p, 2, "X", ""), "!not_found:There is no step 2"),
    ("remove a pending step", "A:done B:pending C:pending", lambda p: r.remove_step(p, 2), "A:done C:pending"),
    ("remove a done step", "A:done B:pending", lambda p: r.remove_step(p, 1), "!conflict:only pending steps"),
    ("remove a skipped step", "A:skipped", lambda p: r.remove_step(p, 1), "!conflict:Step 1 is skipped"),
    (
        "reorder pending steps",
        "A:done B:pending C:pending",
        lambda p: r.reorder_pending(p, [3, 2]),
        "A:done C:pending B:pending",
    ),
    (
        "reorder around a locked step",
        "A:pending B:done C:pending D:failed E:pending",
        lambda p: r.reorder_pending(p, [5, 1, 3]),
        "E:pending B:done A:pending D:failed C:pending",
    ),
    (
        "reorder naming a done step",
        "A:done B:pending C:pending",
        lambda p: r.reorder_pending(p, [1, 3]),
        "!invalid:pending steps: 2, 3",
    ),
    (
        "reorder missing a step",
        "A:done B:pending C:pending",
        lambda p: r.reorder_pending(p, [3]),
        "!invalid:every pending step exactly once",
    ),
    (
        "reorder repeating a step",
        "B:pending C:pending",
        lambda p: r.reorder_pending(p, [1, 1]),
        "!invalid:exactly once",
    ),
    (
        "replace keeps done steps",
        "A:done B:pending",
        lambda p: r.replace_pending(p, [("X", ""), ("Y", "")]),
        "A:done X:pending Y:pending",
    ),
    (
        "replace with the whole plan sent back",
        "A:done B:pending",
        lambda p: r.replace_pending(p, [("A", ""), ("B", ""), ("C", "")]),
        "A:done B:pending C:pending",
    ),
    ("replace with nothing", "A:done B:failed C:pending", lambda p: r.replace_pending(p, []), "A:done B:failed"),
]


@pytest.mark.parametrize(("name", "before", "change", "after"), CASES, ids=[c[0] for c in CASES])
def test_plan_rules(name: str, before: str, change: Change, after: str) -> None:
    original = plan(before)
    snapshot = [dict(s) for s in original]
    if after.startswith("!"):
        kind, _, message = after[1:].partition(":")
        with pytest.raises(r.PlanRuleError) as info:
            change(original)
        assert info.value.kind == kind and message in info.value.message, info.value
    else:
        result = change(original)
        assert shape(result) == after
        # a step that already happened comes out exactly as it went in (summary included)
        locked_before = [s for s in snapshot if s["status"] != "pending"]
        assert [s for s in result if s["status"] != "pending"] == locked_before
    assert original == snapshot  # the rules never change their input


def test_a_plan_has_at_most_200_steps() -> None:
    full = [{"title": str(i), "status": "pending"} for i in range(r.MAX_STEPS)]
    with pytest.raises(r.PlanRuleError, match="at most 200"):
        r.append_step(full, "one more")


@pytest.mark.parametrize(
    ("before", "expected"),
    [
        ("", 0),
        ("A:done B:pending", 1),
        ("A:done B:skipped", 2),
        ("A:done B:failed C:pending", 1),
    ],
)
def test_next_step_is_the_first_not_finished(before: str, expected: int) -> None:
    assert r.next_step(plan(before)) == expected
