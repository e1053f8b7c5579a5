"""Agent templates of the current user."""

from __future__ import annotations

from fastapi import APIRouter, status

from autocode.api.deps import AgentDep, ContextDep, CurrentUser, SessionDep, SettingsDep
from autocode.models import AgentCreate, AgentPublic, AgentUpdate, ProjectCreate, ProjectPublic
from autocode.services import agents as agent_service
from autocode.services import projects as project_service
from autocode.services import runtime_policy

router = APIRouter(prefix="/agents", tags=["agents"])


@router.get("")
def list_agents(user: CurrentUser, session: SessionDep) -> list[AgentPublic]:
    return [AgentPublic.model_validate(a) for a in agent_service.list_agents(session, owner=user)]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_agent(body: AgentCreate, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> AgentPublic:
    agent = agent_service.create_agent(session, settings=settings, data_dir=settings.data_path, owner=user, data=body)
    return AgentPublic.model_validate(agent)


@router.get("/{agent_id}")
def get_agent(agent: AgentDep) -> AgentPublic:
    return AgentPublic.model_validate(agent)


@router.put("/{agent_id}")
def update_agent(body: AgentUpdate, agent: AgentDep, session: SessionDep, settings: SettingsDep) -> AgentPublic:
    updated = agent_service.update_agent(
        session, settings=settings, data_dir=settings.data_path, agent=agent, data=body
    )
    return AgentPublic.model_validate(updated)


@router.delete("/{agent_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_agent(agent: AgentDep, user: CurrentUser, session: SessionDep, ctx: ContextDep) -> None:
    agent_service.delete_agent(session, data_dir=ctx.settings.data_path, runtime=ctx.runtime, owner=user, agent=agent)


@router.get("/{agent_id}/projects")
def list_agent_projects(agent: AgentDep, user: CurrentUser, session: SessionDep) -> list[ProjectPublic]:
    rows = project_service.list_projects(session, owner=user, agent_id=agent.id)
    return project_service.to_public_many(session, rows)


@router.post("/{agent_id}/projects", status_code=status.HTTP_201_CREATED)
def create_project(
    body: ProjectCreate, agent: AgentDep, user: CurrentUser, session: SessionDep, ctx: ContextDep
) -> ProjectPublic:
    """Create a project; with `git_url`, its repository is cloned in the background
    (status "cloning", then "created", or "failed" with the reason)."""
    settings = ctx.settings
    if body.git_url is not None:
        runtime_policy.require_runtime(settings, user)  # the clone runs in the user's runtime
    project = project_service.create_project(
        session,
        data_dir=settings.data_path,
        owner=user,
        agent=agent,
        data=body,
        production=settings.environment == "production",
    )
    if project.git_url:
        project = ctx.orchestrator.clone(session, user=user, project=project)
    return project_service.to_public(session, project)
