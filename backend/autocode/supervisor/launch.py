"""Launching Claude Code for a project: config dir, project settings with hooks, env, argv.

Everything written here lands in the user's tree, so it goes through core.files with paths
from core.layout (no link followed, atomic writes under random names); the project's folder
is computed from the username and slug, never taken from the database.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, cast

from autocode.core.config import Settings
from autocode.core.credential import Credential
from autocode.core.files import Tree, parse_rel
from autocode.core.layout import (
    AUTOCODE,
    CLAUDE_CONFIG,
    CLAUDE_HOME,
    CLAUDE_LOCAL_SETTINGS,
    HOOK_SCRIPT,
    Layout,
    hooks_rel,
    project_rel,
)
from autocode.models import Agent, Project, User
from autocode.runtime import Runtime

if TYPE_CHECKING:
    from autocode.runtime.docker import DockerRuntime

from autocode.supervisor.claude.launch import (
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
    session_id: str
    resumed: bool
    hook_key: str  # the key this launch's hook seals its lines with (never on a command line)


def seen_path(runtime: Runtime, layout: Layout, username: str, rel: PurePosixPath) -> str:
    """A place in the user's tree as Claude Code sees it (host path, or under /workspace).

    Joined to the tree's own runtime path on the words alone: nothing below the tree's root
    is resolved, so a link the user planted cannot move it.
    """
    root = runtime.runtime_path(username, layout.user_dir(username))
    return str(PurePosixPath(root).joinpath(*rel.parts))


def tree_owner(runtime: Runtime) -> tuple[int, int] | None:
    """Who must own what is written for Claude Code: the container's user, or the server."""
    # A docker runtime exists only once its module is loaded: the local one never loads docker.
    docker = sys.modules.get("autocode.runtime.docker")
    if docker is not None and isinstance(runtime, docker.DockerRuntime):
        container = cast("DockerRuntime", runtime)
        return container.uid, container.gid
    return None


def workdir_rel(project: Project, agent: Agent) -> PurePosixPath:
    """The folder Claude Code works in, relative to the user's tree.

    ``agent.workspace_base`` is a folder inside the project: a clean relative path (``..`` is
    refused with core.files.Refused, however the value reached the database).
    """
    rel = project_rel(project.slug)
    if agent.workspace_base:
        rel = rel / parse_rel(agent.workspace_base)
    return rel


def new_hook_key() -> str:
    return secrets.token_hex(32)


def cli_policy(agent: Agent) -> Policy:
    # `auto` is decided by the supervisor's rules, so Claude Code must ask for everything it
    # would normally ask about; only `bypass` lets Claude Code skip its own prompts.
    return "bypass" if agent.permission_policy == "bypass" else "ask"


def _hook_script(tree: Tree, owner: tuple[int, int] | None) -> None:
    """A copy of the stdlib-only hook script inside the user's tree (containers cannot see ours).

    Written afresh at every launch: the user may have changed it, and it is theirs to run.
    """
    source = Path(__file__).resolve().parent.parent / "hook.py"
    tree.write(HOOK_SCRIPT, source.read_bytes(), mode=0o644, owner=owner)


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
    under /workspace inside the user's container. Each launch gets a new hook key.
    """
    assert project.id is not None
    username = user.username
    layout = Layout.at(settings.data_path)
    tree = Tree(layout.user_dir(username))
    owner = tree_owner(runtime)
    in_container = runtime.kind == "docker"
    project_dir = project_rel(project.slug)
    work = workdir_rel(project, agent)
    hooks = hooks_rel(project.id)
    for folder in (work, CLAUDE_CONFIG, CLAUDE_HOME, hooks):
        tree.ensure_dir(folder, owner=owner)
    _hook_script(tree, owner)

    def seen(rel: PurePosixPath) -> str:
        return seen_path(runtime, layout, username, rel)

    policy = cli_policy(agent)
    api_key = credential.secret if credential.provider == "anthropic" else None
    oauth = credential.secret if credential.provider == "claude-code-oauth" else None
    # User-level settings stay neutral (several projects share them); permissions and hooks
    # go into each project's own .claude/settings.local.json.
    seed_config_dir(
        tree,
        CLAUDE_CONFIG,
        workdir=PurePosixPath(seen(work)),
        api_key=api_key,
        policy="bypass",
        hook_command=None,
        allow=(),
        owner=owner,
    )
    python = "python3" if in_container else sys.executable
    command = [python, "-I", "-S", seen(HOOK_SCRIPT), seen(hooks)]
    tree.write(
        project_dir / CLAUDE_LOCAL_SETTINGS,
        json.dumps(claude_settings(policy=policy, hook_command=command, allow=()), indent=2) + "\n",
        mode=0o600,
        owner=owner,
    )
    for folder in (CLAUDE_CONFIG, CLAUDE_HOME, hooks, AUTOCODE):
        # owned by the container's user where there is one
        runtime.prepare_dir(username, layout.host_path(username, folder))
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
    hook_key = new_hook_key()
    env = claude_env(
        home=Path(seen(CLAUDE_HOME)),
        config_dir=Path(seen(CLAUDE_CONFIG)),
        api_key=api_key,
        oauth_token=oauth,
        base_url=credential.base_url,
        policy=policy,
        path=path,
        hook_key=hook_key,
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
    return Launch(
        argv=argv,
        env=env,
        cwd=layout.host_path(username, work),
        session_id=session_id,
        resumed=resume_session_id is not None,
        hook_key=hook_key,
    )
