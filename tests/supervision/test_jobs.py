"""The job API as a script uses it: a personal token (no cookie, no login), one call to make and
start a project, polling until it completes, the workspace as a .zip. Real server, real
supervisor, real Claude Code CLI on the local runtime, scripted model."""

from __future__ import annotations

import io
import threading
import zipfile
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_PASSWORD, Api, wait_until
from tests.fakes.fake_anthropic import text, write
from tests.supervision.conftest import Platform


def _script(base: str, token: str) -> httpx.Client:
    """What a user's script holds: the server's address and a token, nothing else."""
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_a_script_with_a_personal_token_runs_a_job_and_downloads_its_workspace(platform: Platform) -> None:
    _run_a_job(platform)


@pytest.mark.docker
def test_a_job_runs_in_the_users_container_and_its_result_downloads(docker_platform: Platform) -> None:
    _run_a_job(docker_platform)


def _run_a_job(platform: Platform) -> None:
    gate = threading.Event()
    # Hold the job's first model call until the test has looked at it running.
    platform.fake.add(
        lambda r: "GO-JOB" in r.prompt and r.turn_step == 0, lambda r: None if gate.wait(60) else None, first=True
    )
    platform.fake.on_prompt("GO-JOB", write("result.txt", "built by the job\n"), text("Wrote result.txt"))
    agent = platform.api.http.post("/api/agents", json={"name": "Dev", "model": "anthropic/claude-test"})
    assert agent.status_code == 201, agent.text
    made = platform.api.http.post("/api/tokens", json={"name": "nightly build"})
    assert made.status_code == 201, made.text
    token = made.json()["token"]

    bob = Api(platform.server.base, "admin", ADMIN_PASSWORD).create_user("bob")
    bobs_token = bob.http.post("/api/tokens", json={"name": "bob's"}).json()["token"]

    with _script(platform.server.base, token) as script, _script(platform.server.base, bobs_token) as other:
        assert not script.cookies and "cookie" not in {k.lower() for k in script.headers}
        r = script.post(
            "/api/jobs",
            json={
                "agent_id": agent.json()["id"],
                "goal": "Shop\nWrite the result file.",
                "plan": [{"title": "Write the result", "detail": "GO-JOB"}],
            },
        )
        assert r.status_code == 201, r.text
        started = r.json()
        assert set(started) == {"id", "status"} and started["status"] == "running"
        job = started["id"]

        assert platform.fake.wait_for(lambda reqs: any("GO-JOB" in q.prompt for q in reqs), timeout=60)
        status: dict[str, Any] = script.get(f"/api/jobs/{job}").json()
        assert status["status"] == "running" and status["done"] is False
        assert (status["current_step"], status["current_step_title"]) == (1, "Write the result")
        assert (status["steps_done"], status["steps_total"], status["error"]) == (0, 1, None)
        r = script.get(f"/api/jobs/{job}/result.zip")
        assert r.status_code == 409 and "running" in r.json()["detail"], r.text

        # Another user's token sees no such job; a token cannot make more tokens.
        assert other.get(f"/api/jobs/{job}").status_code == 404
        assert other.get(f"/api/jobs/{job}/result.zip").status_code == 404
        assert other.get(f"/api/projects/{job}").status_code == 404
        assert other.post("/api/jobs", json={"agent_id": agent.json()["id"], "goal": "x"}).status_code == 404
        assert script.post("/api/tokens", json={"name": "more"}).status_code == 403
        assert (
            script.post(
                "/api/auth/password", json={"current_password": "x", "new_password": "whatever-123"}
            ).status_code
            == 403
        )

        gate.set()

        def finished() -> dict[str, Any] | None:
            body: dict[str, Any] = script.get(f"/api/jobs/{job}").json()
            if body["status"] in ("failed", "paused", "needs_help"):
                raise AssertionError(f"job ended {body}:\n{platform.log_text(job)}")
            return body if body["done"] else None

        done = wait_until(finished, timeout=120, interval=0.3)
        assert done["status"] == "completed" and done["error"] is None
        assert (done["steps_done"], done["steps_total"], done["current_step"]) == (1, 1, None)
        assert done["result_url"] == f"/api/jobs/{job}/result.zip"

        r = script.get(done["result_url"])
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
            assert zf.read("shop/result.txt") == b"built by the job\n"
        assert other.get(f"/api/jobs/{job}/result.zip").status_code == 404

        # The job is a project (same id): the app shows it.
        project = platform.get(job)
        assert project["name"] == "Shop" and project["status"] == "completed"
        assert project["description"] == "Shop\nWrite the result file."

        # Revoked in Settings: the script is locked out at once.
        assert platform.api.http.delete(f"/api/tokens/{made.json()['id']}").status_code == 204
        r = script.get(f"/api/jobs/{job}")
        assert r.status_code == 401, r.text
        assert script.get(f"/api/jobs/{job}/result.zip").status_code == 401
