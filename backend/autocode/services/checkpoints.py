"""Checkpoints: the workspace is a git repository with one commit per finished step."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from autocode.models import Project, StepDiff
from autocode.services.errors import NotFound
from autocode.services.workspaces import GIT_IDENTITY

STEP_TRAILER = "AutoCode-Step"
MAX_DIFF_BYTES = 2_000_000


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    git = shutil.which("git") or "git"
    # In a container the workspace belongs to the container's user; trust exactly this one.
    trust = ["-c", f"safe.directory={root.resolve()}"]
    return subprocess.run(
        [git, "-C", str(root), *trust, *GIT_IDENTITY, *args],
        capture_output=True, text=True, timeout=60, check=check,
    )


class CheckpointFailed(Exception):
    """git could not record a step (the message says why)."""


def commit_step(root: Path, *, step: int, title: str) -> str | None:
    """Commit everything in the workspace for a finished step; the commit id, if any."""
    if not (root / ".git").exists():
        return None
    message = f"Step {step}: {title}\n\n{STEP_TRAILER}: {step}\n"
    try:
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "--allow-empty", "-m", message)
    except subprocess.CalledProcessError as exc:
        raise CheckpointFailed((exc.stderr or str(exc)).strip()[:500]) from exc
    return _git(root, "rev-parse", "HEAD").stdout.strip() or None


def step_commit(root: Path, step: int) -> str | None:
    """The newest commit recorded for a step."""
    out = _git(root, "log", "--format=%H", f"--grep=^{STEP_TRAILER}: {step}$", "-n", "1", check=False)
    sha = out.stdout.strip()
    return sha if re.fullmatch(r"[0-9a-f]{40}", sha) else None


def step_diff(project: Project, step: int) -> StepDiff:
    """The diff of one step's checkpoint against its parent."""
    plan = project.implementation_plan
    if step < 1 or step > len(plan):
        raise NotFound("No such step")
    root = Path(project.workspace_path)
    if not (root / ".git").exists():
        raise NotFound("This workspace has no history")
    sha = step_commit(root, step)
    title = str(plan[step - 1].get("title", ""))
    if sha is None:
        return StepDiff(step=step, title=title, commit=None, diff="")
    out = _git(root, "show", "--format=", "--patch", "--stat", sha, check=False).stdout
    if len(out) > MAX_DIFF_BYTES:
        out = out[:MAX_DIFF_BYTES] + "\n… diff truncated …\n"
    return StepDiff(step=step, title=title, commit=sha, diff=out)


def workspace_status(root: Path) -> str:
    """`git status --short` of the workspace (what changed since the last checkpoint)."""
    if not (root / ".git").exists():
        return ""
    return _git(root, "status", "--short", check=False).stdout.strip()[:4000]
