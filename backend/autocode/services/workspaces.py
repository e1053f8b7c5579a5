"""Files on disk: user directories, agent rules, project workspaces, composed identity."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from pathlib import Path
from typing import Any

from autocode.models import Agent, Project
from autocode.services.errors import Invalid

log = logging.getLogger(__name__)

GIT_IDENTITY = ["-c", "user.name=AutoCode", "-c", "user.email=autocode@localhost"]


def safe_join(base: Path, *parts: str) -> Path:
    """`base/parts...`, refusing anything that would leave `base`."""
    base = base.resolve()
    target = base.joinpath(*parts).resolve()
    if target != base and not target.is_relative_to(base):
        raise Invalid("Path leaves its directory")
    return target


def user_root(data_dir: Path, username: str) -> Path:
    return safe_join(data_dir / "users", username)


def project_dir(data_dir: Path, username: str, slug: str) -> Path:
    return safe_join(user_root(data_dir, username) / "projects", slug)


def agent_dir(data_dir: Path, agent_id: int) -> Path:
    return safe_join(data_dir / "agents", str(agent_id))


def ensure_user_dirs(data_dir: Path, username: str) -> Path:
    root = user_root(data_dir, username)
    (root / "projects").mkdir(parents=True, exist_ok=True)
    (root / "config").mkdir(parents=True, exist_ok=True)
    return root


def remove_user_dirs(data_dir: Path, username: str) -> None:
    _remove_tree(user_root(data_dir, username), data_dir / "users")


def write_rules(data_dir: Path, agent_id: int, rules: str) -> Path:
    path = agent_dir(data_dir, agent_id) / "RULES.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, rules)
    return path


def read_rules(data_dir: Path, agent_id: int) -> str:
    path = agent_dir(data_dir, agent_id) / "RULES.md"
    return path.read_text() if path.is_file() else ""


def remove_agent_dir(data_dir: Path, agent_id: int) -> None:
    _remove_tree(agent_dir(data_dir, agent_id), data_dir / "agents")


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


def layout_project(
    data_dir: Path, *, username: str, agent: Agent, project: Project, rules: str
) -> Path:
    """Create a project's workspace: CLAUDE.md, the .nanobot folder, a git repository."""
    root = project_dir(data_dir, username, project.slug)
    root.mkdir(parents=True, exist_ok=False)
    (root / ".claude").mkdir()
    nb = root / ".nanobot"
    nb.mkdir()
    _atomic_write(root / ".claude" / "CLAUDE.md", claude_md(project))
    _atomic_write(nb / "config.json", json.dumps(nanobot_config(agent), indent=2) + "\n")
    write_identity(root, agent=agent, project=project, rules=rules)
    _atomic_write(nb / "MEMORY.md", "# Memory\n")
    _atomic_write(nb / "HISTORY.md", "# History\n")
    _atomic_write(root / ".gitignore", ".nanobot/\n.autocode/\n.claude/settings.local.json\n")
    _git_init(root)
    return root


def write_identity(root: Path, *, agent: Agent, project: Project, rules: str) -> None:
    conventions_path = root / ".claude" / "CLAUDE.md"
    conventions = conventions_path.read_text() if conventions_path.is_file() else claude_md(project)
    _atomic_write(
        root / ".nanobot" / "IDENTITY.md",
        compose_identity(rules=rules, agent=agent, project=project, conventions=conventions),
    )


def refresh_project_docs(data_dir: Path, *, username: str, agent: Agent, project: Project) -> None:
    """Rewrite CLAUDE.md and IDENTITY.md after the goal, architecture or plan changed."""
    root = project_dir(data_dir, username, project.slug)
    if not root.is_dir():
        return
    (root / ".claude").mkdir(exist_ok=True)
    (root / ".nanobot").mkdir(exist_ok=True)
    _atomic_write(root / ".claude" / "CLAUDE.md", claude_md(project))
    write_identity(root, agent=agent, project=project, rules=read_rules(data_dir, agent.id or 0))


def remove_project_dir(data_dir: Path, username: str, slug: str) -> None:
    _remove_tree(project_dir(data_dir, username, slug), user_root(data_dir, username) / "projects")


def _git_init(root: Path) -> None:
    git = shutil.which("git")
    if git is None:
        log.warning("git missing; workspace is not a repository", extra={"path": str(root)})
        return
    subprocess.run([git, "init", "-q", "-b", "main", str(root)], check=True, timeout=30)
    subprocess.run([git, "-C", str(root), "add", "-A"], check=True, timeout=30)
    subprocess.run(
        [git, "-C", str(root), *GIT_IDENTITY, "commit", "-q", "-m", "Project created"],
        check=True,
        timeout=30,
    )


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def _remove_tree(path: Path, must_be_under: Path) -> None:
    path = path.resolve()
    parent = must_be_under.resolve()
    if not path.is_relative_to(parent) or path == parent:
        raise Invalid("Refusing to remove a directory outside its parent")
    if path.exists():
        shutil.rmtree(path)
