"""Why a project stopped, and the fix offered: a table of cases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from autocode.models import ProjectStatus
from autocode.services import status_rules

P, F, H = ProjectStatus.PAUSED, ProjectStatus.FAILED, ProjectStatus.NEEDS_HELP
AT = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "recorded", "message", "kind", "fix"),
    [
        # the kind recorded where the status was set decides
        (P, "budget", "Token budget reached (120 of 100 tokens)", "budget", "raise_budget"),
        (P, "stopped", "Stopped by you", "stopped", "resume"),
        (P, "usage_limit", "Usage limit reached: 429", "usage_limit", "wait"),
        (P, "no_key", "No Anthropic key or Claude subscription token; add one in Settings", "no_key", "open_settings"),
        (P, "no_plan", "No plan: add steps to the project and start it again", "no_plan", "add_steps"),
        (P, "setup", "Cannot prepare Claude Code's folders: x", "setup", "open_logs"),
        (F, "crashed", "The supervisor crashed 3 times in 10 minutes", "crashed", "retry"),
        (F, "clone", "Clone failed: not found", "clone", "retry"),
        # recorded beats the words
        (P, "stopped", "Token budget reached", "stopped", "resume"),
        # rows from before kinds were recorded: the words decide
        (P, None, "Token budget reached (5 of 4 tokens)", "budget", "raise_budget"),
        (P, None, "Usage limit reached: resets at 5pm", "usage_limit", "wait"),
        (P, None, "Stopped by you", "stopped", "resume"),
        (P, None, "Restarting", "stopped", "resume"),
        (F, None, "The supervisor crashed 3 times in 10 minutes", "crashed", "retry"),
        (F, None, "Clone failed: timeout", "clone", "retry"),
        # an unknown kind or no words: the status's own
        (P, "martian", "Something", "stopped", "resume"),
        (P, None, None, "stopped", "resume"),
        (F, None, None, "error", "retry"),
        (F, None, "Token budget reached", "budget", "retry"),  # a failed project retries whatever the words
        (H, "question", "May I run rm -rf build?", "question", "answer"),
        (H, None, None, "question", "answer"),
    ],
)
def test_kind_and_fix(status: ProjectStatus, recorded: str | None, message: str | None, kind: str, fix: str) -> None:
    got = status_rules.reason(status=status, recorded=recorded, message=message)
    assert got is not None
    assert (got.kind, got.fix) == (kind, fix)
    assert got.message  # always something to say


@pytest.mark.parametrize(
    "status",
    [
        ProjectStatus.CREATED,
        ProjectStatus.CLONING,
        ProjectStatus.PLANNING,
        ProjectStatus.RUNNING,
        ProjectStatus.COMPLETED,
    ],
)
def test_no_reason_while_it_runs_or_once_done(status: ProjectStatus) -> None:
    assert status_rules.reason(status=status, recorded="budget", message="Token budget reached") is None


def test_only_a_usage_limit_carries_when_it_resumes() -> None:
    limit = status_rules.reason(status=P, recorded="usage_limit", message="Usage limit", resume_at=AT)
    budget = status_rules.reason(status=P, recorded="budget", message="Token budget", resume_at=AT)
    assert limit is not None and limit.resume_at == AT
    assert budget is not None and budget.resume_at is None


def test_defaults_say_something() -> None:
    got = status_rules.reason(status=P, recorded=None, message="  ")
    assert got is not None and got.message == "Paused"
