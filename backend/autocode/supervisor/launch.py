"""Launching Claude Code for a project: config dir, project settings with hooks, env, argv."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from autocode.core.config import Settings
from autocode.models import Agent, Project, User
from autocode.services.keys import Credential
from autocode.supervisor.claude import (
    Policy,
    claude_argv,
    claude_env,
    claude_settings,
    hook_command,
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


def prepare(
    *,
    settings: Settings,
    user: User,
    agent: Agent,
    project: Project,
    credential: Credential,
    run_dir: Path,
    resume_session_id: str | None,
) -> Launch:
    """Seed the config dir and the project's Claude Code settings; build env and argv."""
    workdir = Path(project.workspace_path)
    if agent.workspace_base:
        workdir = workdir / agent.workspace_base
        workdir.mkdir(parents=True, exist_ok=True)
    cfg = config_dir(settings.data_path, user.username)
    home = cfg.parent / "home"
    home.mkdir(parents=True, exist_ok=True)
    policy = cli_policy(agent)
    api_key = credential.secret if credential.provider == "anthropic" else None
    oauth = credential.secret if credential.provider == "claude-code-oauth" else None
    # User-level settings stay neutral (several projects share them); permissions and hooks
    # go into each project's own .claude/settings.local.json.
    seed_config_dir(cfg, workdir=workdir, api_key=api_key, policy="bypass", hook_command=None, allow=())
    _write_json(
        Path(project.workspace_path) / ".claude" / "settings.local.json",
        claude_settings(policy=policy, hook_command=hook_command(run_dir), allow=()),
    )
    cli = shutil.which(settings.claude_command) or settings.claude_command
    path = BASE_PATH
    cli_dir = str(Path(cli).parent) if os.path.isabs(cli) else None
    if cli_dir:
        path = f"{cli_dir}:{path}"
    node = shutil.which("node")
    if node:
        path = f"{Path(node).parent}:{path}"
    env = claude_env(
        home=home,
        config_dir=cfg,
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
