"""Finding 10 (idle reaper): it counted only the server's own tmux calls as activity, so it could
stop a user's container under a working supervisor (whose tmux calls come from another process).

With a three-second idle limit, a running project (its supervisor live, Claude Code waiting on a
model that does not answer) and nobody watching, the container must stay up for many times the
limit; once the project is stopped, the same reaper stops the idle container.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ADMIN_PASSWORD, Api, ServerProcess, wait_until
from tests.supervision.conftest import _kill_supervisors

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.docker
IDLE_MINUTES = 0.05  # three seconds; the reaper then looks every second


def running(name: str) -> bool:
    out = subprocess.run(
        ["docker", "inspect", "-f", "{{.State.Running}}", name], capture_output=True, text=True, timeout=30, check=False
    )
    return out.stdout.strip() == "true"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[ServerProcess, Path]]:
    for script in (REPO / "scripts/ensure-docker.sh", REPO / "deploy/workspace/build-offline.sh"):
        proc = subprocess.run(
            [str(script)], capture_output=True, text=True, timeout=1200, check=False, env=dict(os.environ)
        )
        assert proc.returncode == 0, f"{script.name} failed:\n{proc.stderr[-3000:]}"
    data = tmp_path / "data"
    data.mkdir(parents=True)
    srv = ServerProcess(
        data,
        env={
            "AUTOCODE_RUNTIME": "docker",
            "AUTOCODE_IDLE_MINUTES": str(IDLE_MINUTES),
            "AUTOCODE_BRAIN_ENABLED": "false",
        },
    )
    try:
        yield srv, data
    finally:
        _kill_supervisors(data)
        srv.stop()
        from autocode.runtime.docker import DockerRuntime

        rt = DockerRuntime(data_dir=data)
        for found in rt.client.containers.list(all=True, filters={"label": f"autocode.data={data}"}):
            rt.remove_user(str(found.labels.get("autocode.user")))


def test_a_working_supervisor_keeps_its_container_up(server: tuple[ServerProcess, Path]) -> None:
    srv, _data = server
    admin = Api(srv.base, "admin", ADMIN_PASSWORD)
    user = admin.create_user(f"opsidle{uuid.uuid4().hex[:6]}")
    # A model endpoint that refuses: Claude Code keeps retrying, the supervisor keeps waiting.
    r = user.http.post(
        "/api/keys",
        json={"provider": "anthropic", "key": "sk-ant-test-0123456789abcdef", "base_url": "http://127.0.0.1:9"},
    )
    assert r.status_code == 201, r.text
    project = user.project()
    r = user.http.post(f"/api/projects/{project['id']}/start")
    assert r.status_code == 200, r.text
    name = f"autocode-{user.username}"
    wait_until(lambda: running(name), timeout=60, interval=0.5)

    # Five times the idle limit, no viewer: the container stays while the supervisor runs.
    deadline = time.monotonic() + IDLE_MINUTES * 60 * 5
    while time.monotonic() < deadline:
        status = user.http.get(f"/api/projects/{project['id']}").json()["status"]
        assert status in ("running", "planning"), status
        assert running(name), "the reaper stopped the container under a live supervisor"
        time.sleep(0.5)

    # Stopped project, nobody watching: now it is idle, and the reaper (the same code) acts.
    r = user.http.post(f"/api/projects/{project['id']}/stop")
    assert r.status_code == 200, r.text
    wait_until(lambda: not running(name), timeout=30, interval=0.5)
