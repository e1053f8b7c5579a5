"""Launching Claude Code for a project: config dir, project settings with hooks, env, argv."""

from __future__ import annotations

import json
import os
import shutil
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from autocode.core.config import Settings
from autocode.models import Agent, Project, User
from autocode.runtime import Runtime
from autocode.services.keys import Credential
from autocode.supervisor.claude import (
    Policy,
    claude_argv,
    claude_env,
    claude_settings,
    seed_config_dir,
)

BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class Launch:
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    config_dir: Path
    session_id: str
    resumed: bool


def config_dir(data_dir: Path, username: str) -> Path:
    """The user's own Claude Code config dir (never the server's HOME)."""
    return data_dir / "users" / username / "config" / "claude"


def cli_policy(agent: Agent) -> Policy:
    # `auto` is decided by the supervisor's rules, so Claude Code must ask for everything it
    # would normally ask about; only `bypass` lets Claude Code skip its own prompts.
    return "bypass" if agent.permission_policy == "bypass" else "ask"


def _write_json(path: Path, data: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2)
    os.replace(tmp, path)


def hooks_dir(data_dir: Path, username: str, project_id: int) -> Path:
    """Where Claude Code's hooks append events: inside the user's tree, so a container sees it."""
    return data_dir / "users" / username / ".autocode" / "projects" / str(project_id)


def _hook_script(data_dir: Path, username: str) -> Path:
    """A copy of the stdlib-only hook script inside the user's tree (containers cannot see ours)."""
    source = Path(__file__).resolve().parent.parent / "hook.py"
    target = data_dir / "users" / username / ".autocode" / "hook.py"
    target.parent.mkdir(parents=True, exist_ok=True)
    body = source.read_bytes()
    if not target.exists() or target.read_bytes() != body:
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(body)
        tmp.replace(target)
    return target


def prepare(
    *,
    settings: Settings,
    runtime: Runtime,
    user: User,
    agent: Agent,
    project: Project,
    credential: Credential,
    resume_session_id: str | None,
) -> Launch:
    """Seed the config dir and the project's Claude Code settings; build env and argv.

    Paths in argv, env and settings are the ones Claude Code sees: the same on the host, or
    under /workspace inside the user's container.
    """
    assert project.id is not None
    username = user.username
    data = settings.data_path
    in_container = runtime.kind == "docker"
    workdir = Path(project.workspace_path)
    if agent.workspace_base:
        workdir = workdir / agent.workspace_base
        workdir.mkdir(parents=True, exist_ok=True)
    cfg = config_dir(data, username)
    home = cfg.parent / "home"
    hooks = hooks_dir(data, username, project.id)
    for folder in (home, hooks):
        folder.mkdir(parents=True, exist_ok=True)
    script = _hook_script(data, username)
    policy = cli_policy(agent)
    api_key = credential.secret if credential.provider == "anthropic" else None
    oauth = credential.secret if credential.provider == "claude-code-oauth" else None
    seen_workdir = Path(runtime.runtime_path(username, workdir))
    # User-level settings stay neutral (several projects share them); permissions and hooks
    # go into each project's own .claude/settings.local.json.
    seed_config_dir(cfg, workdir=seen_workdir, api_key=api_key, policy="bypass", hook_command=None, allow=())
    python = "python3" if in_container else sys.executable
    command = [python, "-I", "-S", runtime.runtime_path(username, script), runtime.runtime_path(username, hooks)]
    _write_json(
        Path(project.workspace_path) / ".claude" / "settings.local.json",
        claude_settings(policy=policy, hook_command=command, allow=()),
    )
    for folder in (cfg, home, hooks, script.parent):
        runtime.prepare_dir(username, folder)  # owned by the container's user where there is one
    if in_container:
        cli = "claude"
        path = BASE_PATH
    else:
        cli = shutil.which(settings.claude_command) or settings.claude_command
        path = BASE_PATH
        if os.path.isabs(cli):
            path = f"{Path(cli).parent}:{path}"
        node = shutil.which("node")
        if node:
            path = f"{Path(node).parent}:{path}"
    env = claude_env(
        home=Path(runtime.runtime_path(username, home)),
        config_dir=Path(runtime.runtime_path(username, cfg)),
        api_key=api_key,
        oauth_token=oauth,
        base_url=credential.base_url,
        policy=policy,
        path=path,
    )
    session_id = resume_session_id or str(uuid.uuid4())
    model = None
    provider, _, name = agent.model.partition("/")
    if provider == "anthropic" and name:
        model = name
    argv = claude_argv(
        cli,
        policy=policy,
        resume_session_id=resume_session_id,
        session_id=None if resume_session_id else session_id,
        model=model,
    )
    return Launch(argv=argv, env=env, cwd=workdir, config_dir=cfg, session_id=session_id,
                  resumed=resume_session_id is not None)
