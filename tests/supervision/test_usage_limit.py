"""A Claude subscription's usage limit: the project pauses until the reset Claude Code reports,
then goes on by itself. Real server, real supervisor, real Claude Code CLI logged in with a
subscription token, and a scripted endpoint answering the way the API does at the limit."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import wait_until
from tests.fakes.fake_anthropic import Reply, Request, text, usage_limit, write
from tests.supervision.conftest import Platform

TOKEN = "sk-ant-oat01-fake-" + "t" * 70 + "AA"


def use_subscription(platform: Platform) -> None:
    """Swap the fixture's API key for a subscription token: only then is a 429 a usage limit."""
    for key in platform.api.http.get("/api/keys").json():
        assert platform.api.http.delete(f"/api/keys/{key['id']}").status_code == 204
    r = platform.api.http.post(
        "/api/keys", json={"provider": "claude-code-oauth", "key": TOKEN, "base_url": platform.fake.url}
    )
    assert r.status_code == 201, r.text


def limit_once(platform: Platform, marker: str, ahead: int) -> list[int]:
    """The first model call of the step hits the limit, resetting `ahead` seconds after it; the
    reset times sent are collected."""
    resets: list[int] = []

    def respond(_req: Request) -> Reply:
        resets.append(int(time.time()) + ahead)
        return usage_limit(resets[-1])

    platform.fake.add(lambda r: not r.is_title and marker in r.prompt, respond, times=1, first=True)
    return resets


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def test_a_usage_limit_pauses_until_its_reset_then_the_step_goes_on(platform: Platform) -> None:
    use_subscription(platform)
    resets = limit_once(platform, "GO-LIMIT", ahead=8)
    platform.fake.on_prompt("GO-LIMIT", write("limit.txt", "after the reset\n"), text("Wrote limit.txt"))
    project = platform.project([{"title": "Write the file", "detail": "GO-LIMIT"}])
    pid = project["id"]
    platform.start(pid)

    paused = platform.wait_status(pid, "paused", timeout=60)
    assert len(resets) == 1
    reset = datetime.fromtimestamp(resets[0], UTC)
    assert paused["reason"]["kind"] == "usage_limit" and paused["reason"]["fix"] == "wait", paused["reason"]
    # the precise reset: the epoch Claude Code recorded from the response headers, not the
    # minute its screen shows
    assert parse(paused["reason"]["resume_at"]) == reset
    assert "You've hit your 5-hour limit" in paused["status_reason"]

    # paused counts as an end for wait_status: wait for the end of this pause by hand
    done = wait_until(lambda: (p := platform.get(pid))["status"] == "completed" and p, timeout=90, interval=0.2)
    assert done["reason"] is None and done["implementation_plan"][0]["status"] == "done"
    assert (Path(project["workspace_path"]) / "limit.txt").read_text() == "after the reset\n"
    calls = [r for r in platform.fake.calls() if "GO-LIMIT" in r.prompt]
    assert calls[0].at < resets[0] <= calls[1].at  # nothing was sent before the reset
    messages = [e["message"] for e in platform.logs(pid)]
    assert any(m.startswith("Usage limit reached; paused until") for m in messages), messages
    assert "Cancelled Claude Code's own continue after the reset; the supervisor goes on with the step" in messages
    assert "Resuming after the usage limit" in messages


def test_stopping_a_project_that_waits_for_its_usage_limit_ends_the_wait(platform: Platform) -> None:
    use_subscription(platform)
    resets = limit_once(platform, "GO-WAIT", ahead=3600)
    project = platform.project([{"title": "Write the file", "detail": "GO-WAIT"}])
    pid = project["id"]
    platform.start(pid)
    paused = platform.wait_status(pid, "paused", timeout=60)
    assert parse(paused["reason"]["resume_at"]) == datetime.fromtimestamp(resets[0], UTC)
    assert paused["instance"] is not None and paused["instance"]["status"] == "running"

    r = platform.api.http.post(f"/api/projects/{pid}/stop")
    assert r.status_code == 200, r.text

    def ended() -> dict[str, object] | None:
        p = platform.get(pid)
        return p if p["instance"] is None or p["instance"]["status"] != "running" else None

    stopped = wait_until(ended, timeout=30, interval=0.2)
    assert stopped["status"] == "paused" and stopped["reason"]["kind"] == "stopped"
    assert stopped["reason"]["resume_at"] is None
    assert len(platform.fake.calls()) == 1  # nothing more was sent


def test_a_usage_limit_while_planning_waits_and_asks_for_the_plan_again(platform: Platform) -> None:
    use_subscription(platform)
    resets = limit_once(platform, "Write an implementation plan", ahead=6)
    platform.fake.on_prompt("Write an implementation plan", text("1. Write the notes file GO-NOTES"))
    platform.fake.on_prompt("GO-NOTES", write("notes.txt", "notes\n"), text("Wrote notes.txt"))
    project = platform.project(None, description="Keep notes")
    pid = project["id"]
    platform.start(pid)

    paused = platform.wait_status(pid, "paused", timeout=60)
    assert parse(paused["reason"]["resume_at"]) == datetime.fromtimestamp(resets[0], UTC)
    done = wait_until(lambda: (p := platform.get(pid))["status"] == "completed" and p, timeout=90, interval=0.2)
    assert [s["title"] for s in done["implementation_plan"]] == ["Write the notes file GO-NOTES"]
    assert (Path(project["workspace_path"]) / "notes.txt").read_text() == "notes\n"
    messages = [e["message"] for e in platform.logs(pid)]
    assert not any(m.startswith("No numbered plan") for m in messages), messages
