"""Autonomy scenarios: one real server, the real Claude Code CLI, two scripted model endpoints."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ADMIN_PASSWORD, Api, ServerProcess, stop_tmux_servers
from tests.fakes.fake_anthropic import FakeAnthropic
from tests.fakes.fake_openai import FakeOpenAI
from tests.supervision.conftest import CLI, Platform, _kill_supervisors

STALL_SECONDS = 10
_names = itertools.count(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    if not CLI.exists():
        pytest.fail(f"the pinned Claude Code CLI is not installed: npm --prefix tools/claude-code ci ({CLI})")
    data = tmp_path_factory.mktemp("scenarios") / "data"
    srv = ServerProcess(
        data,
        env={
            "AUTOCODE_CLAUDE_COMMAND": str(CLI),
            "AUTOCODE_SUPERVISOR_TICK_SECONDS": "0.1",
            "AUTOCODE_RETRY_BACKOFF_MAX_SECONDS": "1",
            "AUTOCODE_STALL_SECONDS": str(STALL_SECONDS),
            "AUTOCODE_CONTEXT_WINDOW_TOKENS": "200000",
            "AUTOCODE_CONTEXT_COMPACT_RATIO": "0.85",
            "AUTOCODE_LOGIN_MAX_FAILURES": "1000",
        },
    )
    try:
        yield srv
    finally:
        _kill_supervisors(data)
        srv.stop()
        stop_tmux_servers(data, [f"user{i}" for i in range(1, 40)])


@dataclass
class Scenario(Platform):
    brain: FakeOpenAI | None = None

    def decisions(self, project_id: int) -> list[str]:
        return [e["message"] for e in self.logs(project_id) if e["level"] == "agent_decision"]


@pytest.fixture
def scenario(server: ServerProcess) -> Iterator[Scenario]:
    """A new user with an Anthropic key (Claude Code's fake) and an OpenAI key (the brain's fake)."""
    claude = FakeAnthropic().start()
    brain = FakeOpenAI().start()
    admin = Api(server.base, "admin", ADMIN_PASSWORD)
    user = admin.create_user(f"user{next(_names)}")
    for body in (
        {"provider": "anthropic", "key": "sk-ant-test-0123456789abcdef", "base_url": claude.url},
        {"provider": "openai", "key": "sk-openai-test-0123456789", "base_url": brain.url},
    ):
        r = user.http.post("/api/keys", json=body)
        assert r.status_code == 201, r.text
    try:
        yield Scenario(
            fake=claude,
            server=server,
            api=user,
            data=server.data_dir,
            brain=brain,
            agent_fields={"model": "openai/gpt-test", "identity": "You supervise a careful engineer."},
        )
    finally:
        for project in user.http.get("/api/projects").json():
            if project["status"] in ("running", "planning", "needs_help"):
                user.http.post(f"/api/projects/{project['id']}/stop")
        claude.stop()
        brain.stop()


def workspace(project: dict[str, Any]) -> Path:
    return Path(project["workspace_path"])
