"""The rules for changing a plan: only pending steps move or change; the rest is history.

Pure functions on the stored plan (a list of step dicts). A step that is done, failed,
skipped or running keeps its title, detail, status, summary and position; pending steps can be
added, edited, removed and reordered around them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from autocode.models import StepStatus

MAX_STEPS = 200
PENDING = StepStatus.PENDING.value

Plan = list[dict[str, Any]]


@dataclass(frozen=True)
class PlanRuleError(Exception):
    """A change the rules refuse; `kind` is 'not_found', 'conflict' or 'invalid'."""

    kind: str
    message: str

    def __str__(self) -> str:
        return self.message


def is_locked(step: dict[str, Any]) -> bool:
    return bool(step.get("status", PENDING) != PENDING)


def _new(title: str, detail: str) -> dict[str, Any]:
    return {"title": title, "detail": detail, "status": PENDING}


def _index(plan: Plan, n: int) -> int:
    if not 1 <= n <= len(plan):
        raise PlanRuleError("not_found", f"There is no step {n} (the plan has {len(plan)} steps)")
    return n - 1


def _editable(plan: Plan, n: int) -> int:
    i = _index(plan, n)
    status = plan[i].get("status", PENDING)
    if status != PENDING:
        raise PlanRuleError("conflict", f"Step {n} is {status}: only pending steps can be changed")
    return i


def append_step(plan: Plan, title: str, detail: str = "") -> Plan:
    if len(plan) >= MAX_STEPS:
        raise PlanRuleError("invalid", f"A plan has at most {MAX_STEPS} steps")
    return [dict(s) for s in plan] + [_new(title, detail)]


def edit_step(plan: Plan, n: int, title: str, detail: str) -> Plan:
    i = _editable(plan, n)
    out = [dict(s) for s in plan]
    out[i] = {**out[i], "title": title, "detail": detail}
    return out


def remove_step(plan: Plan, n: int) -> Plan:
    i = _editable(plan, n)
    return [dict(s) for j, s in enumerate(plan) if j != i]


def reorder_pending(plan: Plan, order: Sequence[int]) -> Plan:
    """Pending steps in the order given (1-based numbers of the current plan), in the places
    pending steps occupy now; every other step keeps its place."""
    slots = [i for i, s in enumerate(plan) if not is_locked(s)]
    wanted = [n - 1 for n in order]
    if sorted(wanted) != slots:
        numbers = ", ".join(str(i + 1) for i in slots) or "none"
        raise PlanRuleError("invalid", f"order must list every pending step exactly once (pending steps: {numbers})")
    out = [dict(s) for s in plan]
    for slot, source in zip(slots, wanted, strict=True):
        out[slot] = dict(plan[source])
    return out


def replace_pending(plan: Plan, steps: Sequence[tuple[str, str]]) -> Plan:
    """A new list of pending steps after the steps that already happened.

    The locked steps stay first, in their order, as they were. When `steps` starts with the
    locked steps themselves (same title and detail, as an editor that shows the whole plan
    sends them back), that part is not added twice.
    """
    locked = [dict(s) for s in plan if is_locked(s)]
    rest = list(steps)
    prefix = [(str(s.get("title", "")), str(s.get("detail", ""))) for s in locked]
    if rest[: len(prefix)] == prefix:
        rest = rest[len(prefix) :]
    out = locked + [_new(t, d) for t, d in rest]
    if len(out) > MAX_STEPS:
        raise PlanRuleError("invalid", f"A plan has at most {MAX_STEPS} steps")
    return out


def next_step(plan: Plan) -> int:
    """Where work goes on: the first step not done or skipped (the plan's length when none)."""
    for i, s in enumerate(plan):
        if s.get("status") not in (StepStatus.DONE.value, StepStatus.SKIPPED.value):
            return i
    return len(plan)
