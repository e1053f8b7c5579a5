"""Fixtures for the supervisor tests: the scripted endpoint and a real Claude Code in tmux."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.fakes.claude_rig import CLI, ClaudeRig
from tests.fakes.fake_anthropic import FakeAnthropic

needs_cli = pytest.mark.skipif(
    not CLI.exists() or shutil.which("tmux") is None,
    reason="needs tmux and the pinned CLI: cd tools/claude-code && npm ci",
)


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    server = FakeAnthropic().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def rig() -> Iterator[ClaudeRig]:
    """One real Claude Code world; its tmux server is killed even when the test fails."""
    r = ClaudeRig()
    try:
        yield r
    finally:
        r.close()
