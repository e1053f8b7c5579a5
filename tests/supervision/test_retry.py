"""A failed project's step retried: the supervisor crashes until the project fails, then
"retry step" runs that step again and the project completes. Real server, real supervisor,
real Claude Code CLI, scripted model."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from tests.conftest import wait_until
from tests.fakes.fake_anthropic import text, write
from tests.supervision.conftest import Platform

PLAN = [{"title": "Write the first file", "detail": "GO-ONE"}, {"title": "Write the second file", "detail": "GO-TWO"}]


def crash_until_failed(platform: Platform, project_id: int, first: dict[str, Any]) -> dict[str, Any]:
    """Kill each supervisor the watchdog starts until it gives up: three crashes in ten minutes."""
    pid = first["instance"]["pid"]
    seen = {first["instance"]["id"]}
    for _ in range(3):
        assert pid is not None
        os.kill(pid, signal.SIGKILL)

        def next_or_failed() -> dict[str, Any] | None:
            p = platform.get(project_id)
            inst = p["instance"]
            if p["status"] == "failed":
                return p
            if inst and inst["id"] not in seen and inst["status"] == "running" and inst["pid"]:
                return p
            return None

        p: dict[str, Any] = wait_until(next_or_failed, timeout=60, interval=0.1)
        if p["status"] == "failed":
            return p
        seen.add(p["instance"]["id"])
        pid = p["instance"]["pid"]
    return platform.wait_status(project_id, "failed", timeout=30)


def test_a_failed_project_retried_runs_its_step_again_and_completes(platform: Platform) -> None:
    # step 1 takes a while, so the supervisor can be killed while it works on it
    platform.fake.on_prompt("GO-ONE", write("one.txt", "first\n", delay=20.0), text("Wrote one.txt"))
    platform.fake.on_prompt("GO-TWO", write("two.txt", "second\n"), text("Wrote two.txt"))
    project = platform.project(PLAN)
    pid = project["id"]
    first = platform.start(pid)
    wait_until(lambda: platform.get(pid)["implementation_plan"][0]["status"] == "running", timeout=60)

    failed = crash_until_failed(platform, pid, first)
    assert failed["status"] == "failed"
    assert failed["reason"]["kind"] == "crashed" and failed["reason"]["fix"] == "retry", failed["reason"]
    assert failed["reason"]["message"] == "The supervisor crashed 3 times in 10 minutes"
    assert failed["implementation_plan"][0]["started_at"] is not None

    r = platform.api.http.post(f"/api/projects/{pid}/retry")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "running" and r.json()["reason"] is None
    assert r.json()["instance"]["id"] != failed["instance"]["id"]
    done = platform.wait_status(pid, "completed", timeout=180)

    assert [s["status"] for s in done["implementation_plan"]] == ["done", "done"]
    assert done["reason"] is None
    messages = [e["message"] for e in platform.logs(pid)]
    assert "Retrying step 1: Write the first file" in messages
    assert (Path(project["workspace_path"]) / "one.txt").read_text() == "first\n"
    assert (Path(project["workspace_path"]) / "two.txt").read_text() == "second\n"
    # a second retry has nothing to retry
    again = platform.api.http.post(f"/api/projects/{pid}/retry")
    assert again.status_code == 409
