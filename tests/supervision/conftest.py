"""A real server, the real Claude Code CLI and a scripted fake Anthropic endpoint."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.conftest import ADMIN_PASSWORD, Api, ServerProcess, stop_tmux_servers, wait_until
from tests.fakes.fake_anthropic import FakeAnthropic

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / "tools" / "claude-code" / "node_modules" / ".bin" / "claude"
TERMINAL = ("completed", "failed", "paused")


@dataclass
class Platform:
    fake: FakeAnthropic
    server: ServerProcess
    api: Api
    data: Path

    def restart_server(self, *, kill: bool = False) -> None:
        import signal

        port = self.server.port
        self.server.stop(signal.SIGKILL if kill else None)
        self.server = ServerProcess(self.data, port=port, env=server_env())
        self.api = Api(self.server.base, "admin", ADMIN_PASSWORD)

    agent_fields: dict[str, Any] = field(default_factory=lambda: {"model": "anthropic/claude-test"})

    def project(self, plan: list[dict[str, str]] | None, *, policy: str = "auto", **fields: Any) -> dict[str, Any]:
        agent = self.api.http.post(
            "/api/agents", json={"name": "Dev", **self.agent_fields, "permission_policy": policy}
        )
        assert agent.status_code == 201, agent.text
        body = {"name": fields.pop("name", "Shop"), "implementation_plan": plan or [], **fields}
        r = self.api.http.post(f"/api/agents/{agent.json()['id']}/projects", json=body)
        assert r.status_code == 201, r.text
        result: dict[str, Any] = r.json()
        return result

    def get(self, project_id: int) -> dict[str, Any]:
        r = self.api.http.get(f"/api/projects/{project_id}")
        assert r.status_code == 200, r.text
        result: dict[str, Any] = r.json()
        return result

    def start(self, project_id: int) -> dict[str, Any]:
        r = self.api.http.post(f"/api/projects/{project_id}/start")
        assert r.status_code == 200, r.text
        result: dict[str, Any] = r.json()
        return result

    def wait_status(self, project_id: int, *statuses: str, timeout: float = 90) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            project = self.get(project_id)
            if project["status"] in statuses:
                return project
            if project["status"] in TERMINAL and project["status"] not in statuses:
                raise AssertionError(
                    f"project ended {project['status']}: {project['status_reason']}\n{self.log_text(project_id)}"
                )
            return None

        try:
            result: dict[str, Any] = wait_until(check, timeout=timeout, interval=0.2)
        except AssertionError:
            print(self.log_text(project_id))
            raise
        return result

    def logs(self, project_id: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        after = 0
        for _ in range(100):
            page = self.api.http.get(
                f"/api/projects/{project_id}/logs", params={"after_id": after, "limit": 1000}
            ).json()
            if not page:
                break
            out += page
            after = page[-1]["id"]
        return out

    def log_text(self, project_id: int) -> str:
        return "\n".join(f"{e['id']} {e['level']}: {e['message']}" for e in self.logs(project_id))


def server_env() -> dict[str, str]:
    return {
        "AUTOCODE_CLAUDE_COMMAND": str(CLI),
        "AUTOCODE_SUPERVISOR_TICK_SECONDS": "0.1",
        "AUTOCODE_RETRY_BACKOFF_MAX_SECONDS": "2",
        # These tests are about the supervisor's own rules; the decision model has its own suite.
        "AUTOCODE_BRAIN_ENABLED": "false",
    }


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    if not CLI.exists():
        pytest.fail(f"the pinned Claude Code CLI is not installed: npm --prefix tools/claude-code ci ({CLI})")
    fake = FakeAnthropic().start()
    data = tmp_path / "data"
    server = ServerProcess(data, env=server_env())
    plat = Platform(fake=fake, server=server, api=Api(server.base, "admin", ADMIN_PASSWORD), data=data)
    try:
        r = plat.api.http.post(
            "/api/keys", json={"provider": "anthropic", "key": "sk-ant-test-0123456789abcdef", "base_url": fake.url}
        )
        assert r.status_code == 201, r.text
        yield plat
    finally:
        _kill_supervisors(data)
        plat.server.stop()
        stop_tmux_servers(data, ["admin"])
        fake.stop()


@pytest.fixture
def docker_platform(tmp_path: Path) -> Iterator[Platform]:
    """A platform on the docker runtime: the user's Claude Code runs in their container."""
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


def _kill_supervisors(data: Path) -> None:
    """Supervisors run in sessions of their own; end every one this test's data dir started."""
    import os
    import signal

    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environ = (proc / "environ").read_bytes()
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if b"autocode.supervisor" in cmdline and f"AUTOCODE_DATA_DIR={data}".encode() in environ:
            try:
                os.kill(int(proc.name), signal.SIGKILL)
            except OSError:
                pass


class Events:
    """Collects a project's events socket in a thread; frames keep their order."""

    def __init__(self, plat: Platform, project_id: int, after_id: int = 0) -> None:
        ticket = plat.api.ticket()
        url = f"{plat.server.ws_base}/ws/projects/{project_id}/events?ticket={ticket}&after_id={after_id}"
        self.ws = connect(url, open_timeout=10)
        self.frames: list[dict[str, Any]] = []
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while True:
                frame = self.ws.recv(timeout=300)
                if isinstance(frame, str):
                    self.frames.append(json.loads(frame))
        except (ConnectionClosed, TimeoutError, OSError):
            pass
        finally:
            self.closed.set()

    def logs(self) -> list[dict[str, Any]]:
        return [f["entry"] for f in self.frames if f["type"] == "log"]

    def states(self) -> list[dict[str, Any]]:
        return [f["project"] for f in self.frames if f["type"] == "state"]

    def wait(self, predicate: Any, timeout: float = 30) -> None:
        wait_until(lambda: predicate(self), timeout=timeout, interval=0.05)

    def close(self) -> None:
        self.ws.close()
        self.closed.wait(10)


def step_turns(fake: FakeAnthropic, marker: str) -> int:
    """How many turns started with a prompt containing `marker` (first model call of a turn)."""
    return sum(1 for r in fake.calls() if r.turn_step == 0 and marker in r.prompt)


__all__ = ["Events", "Platform", "step_turns", "time"]
