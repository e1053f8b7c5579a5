"""Runtime fixtures: a real tmux server per test user, a real Docker engine and image."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from autocode.runtime.base import Runtime
from autocode.runtime.docker import DockerRuntime
from autocode.runtime.local import LocalRuntime

REPO = Path(__file__).resolve().parents[2]
IMAGE = os.environ.get("AUTOCODE_WORKSPACE_IMAGE", "autocode-workspace:latest")
# Every username any test made, so the session can sweep what a crashed finalizer left.
_ALL_USERS: list[tuple[str, Runtime]] = []


@pytest.fixture(scope="session")
def workspace_image() -> str:
    """Start dockerd when none answers and build the workspace image (both idempotent)."""
    for script in (REPO / "scripts/ensure-docker.sh", REPO / "deploy/workspace/build-offline.sh"):
        proc = subprocess.run(
            [str(script)],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
            env={**os.environ, "AUTOCODE_WORKSPACE_IMAGE": IMAGE},
        )
        if proc.returncode != 0:
            pytest.fail(f"{script.name} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return IMAGE


@pytest.fixture(scope="session", autouse=True)
def _sweep_users() -> Iterator[None]:
    yield
    for username, rt in _ALL_USERS:
        try:
            rt.remove_user(username)
        except Exception:
            pass


def make(kind: str, data_dir: Path, request: pytest.FixtureRequest, **docker_options: Any) -> Runtime:
    """A runtime of that kind over data_dir (docker: the test image, small limits)."""
    if kind == "local":
        return LocalRuntime(data_dir=data_dir)
    image = request.getfixturevalue("workspace_image")
    options: dict[str, Any] = {"memory": "1g", "cpus": 1.0, "pids": 256, **docker_options}
    return DockerRuntime(data_dir=data_dir, image=image, **options)


@pytest.fixture(params=["local", pytest.param("docker", marks=pytest.mark.docker)])
def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Runtime:
    """The runtime under test, over this test's own data dir."""
    return make(str(request.param), tmp_path / "data", request)


@pytest.fixture
def new_user(runtime: Runtime) -> Iterator[Callable[[], str]]:
    """Make unique usernames; their tmux servers / containers go when the test ends."""
    made: list[str] = []

    def _new() -> str:
        username = f"t{uuid.uuid4().hex[:10]}"
        made.append(username)
        _ALL_USERS.append((username, runtime))
        return username

    yield _new
    for username in made:
        runtime.remove_user(username)
