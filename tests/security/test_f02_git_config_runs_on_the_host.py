"""Finding 2: git configuration planted in the workspace ran on the host: `diff.<x>.textconv`,
`core.fsmonitor`, filters and hooks were honoured by `git show` (the diff endpoint, in the API
process) and by `git add/commit/status` (the supervisor), with `-c safe.directory` removing
git's own guard."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.fakes.fake_anthropic import text, write
from tests.security.shell import stack
from tests.supervision.conftest import Platform


def _plant_repository(project_dir: Path, marker: Path) -> None:
    """What a user can do in their own folder: a repository whose config runs commands."""
    env = {"PATH": os.environ["PATH"], "HOME": str(project_dir), "GIT_CONFIG_NOSYSTEM": "1"}

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(project_dir), *args], check=True, capture_output=True, env=env)

    git("init", "-q", "-b", "main")
    git(
        "-c",
        "user.name=e",
        "-c",
        "user.email=e@x",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "Step 1: planted\n\nAutoCode-Step: 1",
    )
    (project_dir / "notes.txt").write_text("x\n")
    git("add", "notes.txt")
    git("-c", "user.name=e", "-c", "user.email=e@x", "commit", "-q", "-m", "Step 1: planted\n\nAutoCode-Step: 1")
    command = f"sh -c 'touch {marker}'"
    with (project_dir / ".git" / "config").open("a") as fh:
        fh.write(
            f"[core]\n\tfsmonitor = {command}\n\thooksPath = .git/h\n"
            f'[diff "evil"]\n\ttextconv = {command} #\n'
            f'[filter "evil"]\n\tclean = {command} #\n\tsmudge = {command} #\n'
        )
    (project_dir / ".gitattributes").write_text("* diff=evil filter=evil\n")
    hooks = project_dir / ".git" / "h"
    hooks.mkdir()
    for name in ("pre-commit", "post-commit", "pre-auto-gc"):
        (hooks / name).write_text(f"#!/bin/sh\ntouch {marker}\n")
        (hooks / name).chmod(0o755)


def test_the_diff_endpoint_never_runs_git_on_the_users_tree(tmp_path: Path) -> None:
    marker = tmp_path / "ran-on-the-host"
    with stack(tmp_path, "local") as st:
        eve = st.user("eve")
        project = eve.project(name="Shop", slug="shop", implementation_plan=[{"title": "One"}])
        _plant_repository(st.host_tree(eve) / "projects" / "shop", marker)
        r = eve.http.get(f"/api/projects/{project['id']}/steps/1/diff")
        assert r.status_code == 200, r.text
        assert r.json()["commit"] is None  # the user's own commits are not the server's checkpoints
        assert not marker.exists()


@pytest.mark.docker
def test_a_supervised_step_never_runs_the_workspaces_git_configuration(
    docker_platform: Platform,
    tmp_path: Path,
) -> None:
    # Docker runtime: Claude Code itself runs git in the workspace (its own context), which is
    # the user's business inside their container; under the local runtime it would run on the
    # host like everything else the user starts, which is why production refuses that runtime.
    platform = docker_platform
    marker = tmp_path / "ran-on-the-host"
    platform.fake.on_prompt("GO-ONE", write("one.txt", "1\n"), text("Wrote one.txt"))
    project = platform.project([{"title": "Write a file", "detail": "GO-ONE"}])
    root = platform.data / "users" / platform.api.username / "projects" / project["slug"]
    _plant_repository(root, marker)
    platform.start(project["id"])
    platform.wait_status(project["id"], "completed")
    diff = platform.api.http.get(f"/api/projects/{project['id']}/steps/1/diff").json()
    assert "+++ b/one.txt" in diff["diff"], diff
    assert ".git/" not in diff["diff"]
    assert not marker.exists()
