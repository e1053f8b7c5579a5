"""Files on disk: user directories, agent rules, project workspaces, composed identity.

A user's tree is reached only through core.files (no link followed, ever); the server's own
places (agent rules, run state, the decision model's files) are plain paths under the data dir.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

from autocode.core import files
from autocode.core.files import Tree
from autocode.core.layout import CLAUDE_MD, PROJECTS, Layout, project_rel
from autocode.models import Agent, Project, pk
from autocode.services.errors import Conflict

log = logging.getLogger(__name__)


def layout(data_dir: Path) -> Layout:
    return Layout.at(data_dir)


def user_tree(data_dir: Path, username: str) -> Tree:
    """The user's tree, reachable only through the safe file layer."""
    return Tree(layout(data_dir).user_dir(username))


def project_dir(data_dir: Path, username: str, slug: str) -> Path:
    """The project's folder as a host path: for the runtime (cwd, argv), never opened here."""
    return layout(data_dir).host_path(username, project_rel(slug))


def agent_dir(data_dir: Path, agent_id: int) -> Path:
    return layout(data_dir).agent_dir(agent_id)


def ensure_user_dirs(data_dir: Path, username: str) -> Path:
    root = layout(data_dir).user_dir(username)
    files.ensure_root(root)
    tree = Tree(root)
    tree.ensure_dir(PROJECTS)
    tree.ensure_dir("config")
    return root


def remove_user_dirs(data_dir: Path, username: str) -> None:
    files.remove_root(layout(data_dir).user_dir(username))


def write_rules(data_dir: Path, agent_id: int, rules: str) -> Path:
    path = agent_dir(data_dir, agent_id) / "RULES.md"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    files.write_own(path, rules)
    return path


def read_rules(data_dir: Path, agent_id: int) -> str:
    path = agent_dir(data_dir, agent_id) / "RULES.md"
    return path.read_text() if path.is_file() else ""


def remove_agent_dir(data_dir: Path, agent_id: int) -> None:
    _remove_server_dir(agent_dir(data_dir, agent_id))


def claude_md(project: Project) -> str:
    """Project conventions Claude Code reads on every turn."""
    parts = [f"# {project.name}", ""]
    if project.description.strip():
        parts += ["## Goal", project.description.strip(), ""]
    if project.architecture.strip():
        parts += ["## Architecture", project.architecture.strip(), ""]
    parts += [
        "## Conventions",
        "- Work only inside this directory.",
        "- End every step with a result that can be checked: a test that passes, a command"
        " that runs, a file that exists.",
        "- Say plainly when something could not be done and why.",
        "",
    ]
    return "\n".join(parts)


def plan_markdown(plan: list[dict[str, Any]], *, details: bool = True) -> str:
    """The plan as a checklist; `details=False` gives titles only."""
    marks = {"done": "x", "skipped": "-", "failed": "!", "running": ">"}
    lines = []
    for i, step in enumerate(plan, start=1):
        mark = marks.get(str(step.get("status", "pending")), " ")
        lines.append(f"{i}. [{mark}] {step.get('title', '')}")
        detail = str(step.get("detail", "")).strip()
        if detail and details:
            lines.append(f"   {detail}")
    return "\n".join(lines) if lines else "(no plan yet: write one from the goal)"


def compose_identity(*, rules: str, agent: Agent, project: Project, conventions: str) -> str:
    """The supervisor's identity: RULES.md + CLAUDE.md + description + architecture + plan."""
    sections = [f"# Identity\n{agent.identity.strip() or 'A careful software engineering supervisor.'}"]
    if rules.strip():
        sections.append(f"# Global rules\n{rules.strip()}")
    sections.append(f"# Project conventions (CLAUDE.md)\n{conventions.strip()}")
    sections.append(f"# Goal\n{project.description.strip() or '(none given)'}")
    sections.append(f"# Architecture\n{project.architecture.strip() or '(none given)'}")
    sections.append(f"# Implementation plan\n{plan_markdown(project.implementation_plan)}")
    return "\n\n".join(sections) + "\n"


def nanobot_config(agent: Agent) -> dict[str, Any]:
    """A record of the decision model's settings; its key is the user's stored key, never here."""
    provider = agent.model.partition("/")[0] or "custom"
    return {
        "agents": {"defaults": {"model": agent.model, "provider": provider}},
        "tools": {"restrictToWorkspace": True, "mcpServers": agent.mcp_servers},
    }


def layout_project(data_dir: Path, *, username: str, project: Project, empty: bool = False) -> Path:
    """Create a project's folder in the user's tree with its CLAUDE.md (`empty`: nothing in it
    yet, for a clone); its host path."""
    tree = user_tree(data_dir, username)
    rel = project_rel(project.slug)
    if tree.lstat(rel) is not None:
        raise Conflict(f"A workspace folder '{project.slug}' already exists; choose another slug")
    tree.ensure_dir(rel)
    if not empty:
        tree.write(rel / CLAUDE_MD, claude_md(project), mode=0o644)
    return project_dir(data_dir, username, project.slug)


def empty_project_dir(data_dir: Path, *, username: str, slug: str) -> None:
    """Make the project's folder exist and hold nothing (what an interrupted clone left goes)."""
    tree = user_tree(data_dir, username)
    rel = project_rel(slug)
    if tree.lstat(rel) is not None and (not tree.is_dir(rel) or tree.list(rel, limit=1)):
        tree.remove(rel)
    tree.ensure_dir(rel)


README_NAMES = ("README.md", "README.markdown", "README.rst", "README.txt", "README", "readme.md", "Readme.md")
MAX_README_CHARS = 12_000


def read_readme(tree: Tree, slug: str) -> str | None:
    """The project's README (first of the usual names), at most MAX_README_CHARS, or None.
    Read through the safe file layer: a link or a special file is skipped, never followed."""
    rel = project_rel(slug)
    for name in README_NAMES:
        try:
            data, _size = tree.read(rel / name, limit=MAX_README_CHARS * 4)
        except files.FileError:
            continue
        text = data.decode("utf-8", "replace")
        return text[:MAX_README_CHARS]
    return None


def write_brain_files(
    data_dir: Path, *, agent: Agent, project: Project, rules: str, conventions: str | None = None
) -> Path:
    """The decision model's own files (identity, memory, history, its settings), server-owned."""
    brain = layout(data_dir).brain_dir(pk(project))
    brain.mkdir(parents=True, exist_ok=True, mode=0o700)
    files.write_own(brain / "config.json", json.dumps(nanobot_config(agent), indent=2) + "\n")
    files.write_own(
        brain / "IDENTITY.md",
        compose_identity(
            rules=rules,
            agent=agent,
            project=project,
            conventions=conventions if conventions is not None else claude_md(project),
        ),
    )
    for name, heading in (("MEMORY.md", "# Memory\n"), ("HISTORY.md", "# History\n")):
        if not (brain / name).exists():
            files.write_own(brain / name, heading)
    return brain


def refresh_project_docs(data_dir: Path, *, username: str, agent: Agent, project: Project) -> None:
    """Rewrite CLAUDE.md and the decision model's identity after the goal, architecture or plan changed."""
    tree = user_tree(data_dir, username)
    rel = project_rel(project.slug)
    try:
        if tree.is_dir(rel):
            tree.write(rel / CLAUDE_MD, claude_md(project), mode=0o644)
    except files.FileError as exc:
        # The folder is the user's: a link where .claude/ was is refused, never followed.
        log.warning("CLAUDE.md not refreshed", extra={"project": project.id, "why": exc.message})
    write_brain_files(data_dir, agent=agent, project=project, rules=read_rules(data_dir, agent.id or 0))


def remove_project_dir(data_dir: Path, username: str, slug: str, project_id: int | None = None) -> None:
    """Remove the project's folder (never following a link) and the server's state for it."""
    user_tree(data_dir, username).remove(project_rel(slug))
    if project_id is not None:
        remove_project_state(data_dir, project_id)


def remove_project_state(data_dir: Path, project_id: int) -> None:
    """The server's own files for a project: run state, the decision model's files, checkpoints."""
    where = layout(data_dir)
    _remove_server_dir(where.run_dir(project_id))
    _remove_server_dir(where.checkpoints_dir(project_id))


def _remove_server_dir(path: Path) -> None:
    if path.is_symlink():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)
