"""Agent templates: model, identity, rules, tools, MCP servers, permission policy."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from sqlmodel import Session, col, select

from autocode.core.config import Settings
from autocode.models import ACTIVE_STATUSES, Agent, AgentCreate, AgentUpdate, Project, User, pk, utcnow
from autocode.runtime import Runtime
from autocode.services import workspaces
from autocode.services.errors import Conflict, Invalid, NotFound
from autocode.supervisor import mcp


def _check_workspace_base(value: str | None) -> None:
    if value is None or value == "":
        return
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts:
        raise Invalid("workspace_base must be a relative folder inside the project workspace")


def _check_mcp_servers(servers: dict[str, object], settings: Settings) -> None:
    """Refuse what can be seen now: a URL to a private address, and in production under the
    local runtime a command the admin has not listed (it would run on the server itself). The
    supervisor checks again when it connects (names resolved, commands placed in the container)."""
    allowed = mcp.networks(settings.mcp_allowed_networks)
    for name, spec in servers.items():
        try:
            mcp.check_spec(
                spec,
                runtime=settings.runtime,
                host_commands=settings.mcp_host_commands,
                allowed_networks=allowed,
                strict_local=settings.environment == "production",
            )
        except mcp.Refused as exc:
            raise Invalid(f"MCP server '{name}': {exc}") from None


def list_agents(session: Session, *, owner: User) -> list[Agent]:
    return list(session.exec(select(Agent).where(Agent.user_id == owner.id).order_by(col(Agent.id))).all())


def get_agent(session: Session, *, owner: User, agent_id: int) -> Agent:
    """An agent of this owner; anyone else's is simply not found."""
    agent = session.get(Agent, agent_id)
    if agent is None or agent.user_id != owner.id:
        raise NotFound("Agent not found")
    return agent


def create_agent(session: Session, *, settings: Settings, data_dir: Path, owner: User, data: AgentCreate) -> Agent:
    _check_workspace_base(data.workspace_base)
    _check_mcp_servers(data.mcp_servers, settings)
    agent = Agent(user_id=pk(owner), **data.model_dump())
    session.add(agent)
    session.commit()
    session.refresh(agent)
    workspaces.write_rules(data_dir, pk(agent), agent.global_rules)
    return agent


def update_agent(session: Session, *, settings: Settings, data_dir: Path, agent: Agent, data: AgentUpdate) -> Agent:
    changes = data.model_dump(exclude_unset=True)
    if "workspace_base" in changes:
        _check_workspace_base(changes["workspace_base"])
    if changes.get("mcp_servers") is not None:
        _check_mcp_servers(changes["mcp_servers"], settings)
    for key, value in changes.items():
        if value is None and key != "workspace_base":
            raise Invalid(f"{key} cannot be null")
        setattr(agent, key, value)
    agent.updated_at = utcnow()
    session.add(agent)
    session.commit()
    session.refresh(agent)
    workspaces.write_rules(data_dir, pk(agent), agent.global_rules)
    return agent


def delete_agent(session: Session, *, data_dir: Path, runtime: Runtime, owner: User, agent: Agent) -> list[Project]:
    """Delete an agent and its projects (refused while one of them is running)."""
    projects = list(session.exec(select(Project).where(Project.agent_id == agent.id)).all())
    busy = [p.name for p in projects if p.status in ACTIVE_STATUSES]
    if busy:
        raise Conflict(f"Stop these projects first: {', '.join(busy)}")
    for project in projects:
        runtime.kill_session(owner.username, project.tmux_session)
    session.delete(agent)
    session.commit()
    for project in projects:
        workspaces.remove_project_dir(data_dir, owner.username, project.slug, project.id)
    workspaces.remove_agent_dir(data_dir, pk(agent))
    return projects
