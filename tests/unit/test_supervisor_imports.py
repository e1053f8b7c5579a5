"""A project's supervisor starts light: none of the server's machinery, no decision model yet."""

from __future__ import annotations

import json
import subprocess
import sys

NOT_AT_START = (
    "autocode.services.orchestrator",
    "autocode.services.events",
    "autocode.runtime.terminal",
    "autocode.core.context",
    "nanobot",
    "docker",
    "alembic",
    "dulwich",
    "httpx",
)


def test_the_supervisor_imports_none_of_the_server_at_start() -> None:
    code = "import json, sys, autocode.supervisor.__main__; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    loaded = set(json.loads(done.stdout))
    assert "autocode.supervisor.loop" in loaded
    assert sorted(m for m in NOT_AT_START if m in loaded) == []
