"""The supervisor drives Claude Code inside the user's container (the docker runtime)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.fake_anthropic import text, write
from tests.supervision.conftest import Platform

pytestmark = pytest.mark.docker


def test_a_plan_runs_inside_the_users_container(docker_platform: Platform) -> None:
    plat = docker_platform
    plat.fake.on_prompt("GO-BOX", write("boxed.txt", "inside\n"), text("Wrote boxed.txt"))
    project = plat.project([{"title": "Write in the container", "detail": "GO-BOX"}])
    plat.start(project["id"])
    done = plat.wait_status(project["id"], "completed", timeout=150)
    assert [s["status"] for s in done["implementation_plan"]] == ["done"]
    written = Path(project["workspace_path"]) / "boxed.txt"
    assert written.read_text() == "inside\n"
    # Claude Code ran as the container's non-root user, on the container's paths
    assert written.stat().st_uid == 1000
    cwd = [r.cwd for r in plat.fake.calls() if r.cwd]
    assert cwd and all(c.startswith("/workspace/projects/") for c in cwd), cwd
    messages = [e["message"] for e in plat.logs(project["id"])]
    actions = [e["message"] for e in plat.logs(project["id"]) if e["level"] == "action"]
    # (shown relative to the project's folder: neither the container's nor the host's paths)
    assert "Write boxed.txt" in actions, actions
    assert not any("/workspace" in m or str(plat.data) in m for m in actions), actions
    # the hook in the container sealed its lines with the launch's key, and the transcript it
    # named (/workspace/config/claude/...) mapped back into the user's config folder
    assert not any(
        "did not sign" in m or "outside your Claude Code config" in m or "cannot be read" in m for m in messages
    ), messages
