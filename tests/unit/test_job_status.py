"""A job's status as a script reads it: a table of project states."""

from __future__ import annotations

from typing import Any

import pytest

from autocode.models import Project
from autocode.services.jobs import job_name, status_of


def _project(status: str, plan: list[dict[str, Any]], current: int, reason: str | None = None) -> Project:
    return Project(
        id=7,
        user_id=1,
        agent_id=1,
        name="x",
        slug="x",
        status=status,
        implementation_plan=plan,
        current_step=current,
        status_reason=reason,
    )


THREE = [{"title": "A", "status": "done"}, {"title": "B", "status": "running"}, {"title": "C"}]


@pytest.mark.parametrize(
    ("status", "plan", "current", "reason", "expected"),
    [
        ("created", [{"title": "A"}], 0, None, (False, None, None, 0, 1, None, True)),
        ("planning", [], 0, None, (False, None, None, 0, 0, None, False)),
        ("running", THREE, 1, None, (False, 2, "B", 1, 3, None, False)),
        ("needs_help", THREE, 1, "Claude asks", (False, 2, "B", 1, 3, "Claude asks", False)),
        ("paused", THREE, 1, "Stopped by you", (False, 2, "B", 1, 3, "Stopped by you", True)),
        ("failed", THREE, 1, "Same error 3 times", (True, 2, "B", 1, 3, "Same error 3 times", True)),
        (
            "completed",
            [{"title": "A", "status": "done"}, {"title": "B", "status": "skipped"}],
            2,
            None,
            (True, None, None, 2, 2, None, True),
        ),
    ],
)
def test_status_of(
    status: str, plan: list[dict[str, Any]], current: int, reason: str | None, expected: tuple[object, ...]
) -> None:
    s = status_of(_project(status, plan, current, reason))
    got = (
        s.done,
        s.current_step,
        s.current_step_title,
        s.steps_done,
        s.steps_total,
        s.error,
        s.result_url == "/api/jobs/7/result.zip",
    )
    assert got == expected
    assert s.id == 7 and s.status.value == status


@pytest.mark.parametrize(
    ("goal", "name"),
    [
        ("Build a shop", "Build a shop"),
        ("\n\n  Shop  \nmore", "Shop"),
        ("   ", "Job"),
        ("x" * 150, "x" * 97 + "..."),
    ],
)
def test_job_name(goal: str, name: str) -> None:
    assert job_name(goal) == name
    assert len(job_name(goal)) <= 100
