"""The supervisor drives Claude Code inside the user's container (the docker runtime)."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ADMIN_PASSWORD, Api, ServerProcess
from tests.fakes.fake_anthropic import FakeAnthropic, text, write
from tests.supervision.conftest import Platform, _kill_supervisors

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.docker


@pytest.fixture
def docker_platform(tmp_path: Path) -> Iterator[Platform]:
    for script in (REPO / "scripts/ensure-docker.sh", REPO / "deploy/workspace/build-offline.sh"):
        proc = subprocess.run(
            [str(script)], capture_output=True, text=True, timeout=1200, check=False, env=dict(os.environ)
        )
        if proc.returncode != 0:
            pytest.fail(f"{script.name} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    fake = FakeAnthropic().start()
    data = tmp_path / "data"
    server = ServerProcess(
        data,
        env={
            "AUTOCODE_RUNTIME": "docker",
            # The scripted model endpoint listens on the host's 127.0.0.1 only.
            "AUTOCODE_CONTAINER_NETWORK": "host",
            "AUTOCODE_BRAIN_ENABLED": "false",
            "AUTOCODE_SUPERVISOR_TICK_SECONDS": "0.1",
        },
    )
    username = f"dk{uuid.uuid4().hex[:8]}"
    try:
        admin = Api(server.base, "admin", ADMIN_PASSWORD)
        user = admin.create_user(username)
        r = user.http.post(
            "/api/keys", json={"provider": "anthropic", "key": "sk-ant-test-0123456789abcdef", "base_url": fake.url}
        )
        assert r.status_code == 201, r.text
        yield Platform(fake=fake, server=server, api=user, data=data)
    finally:
        _kill_supervisors(data)
        server.stop()
        from autocode.runtime.docker import DockerRuntime

        try:
            DockerRuntime(data_dir=data).remove_user(username)
        except Exception:  # cleanup goes on
            pass
        fake.stop()


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
