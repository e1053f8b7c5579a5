"""Projects of the current user, and their logs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from autocode.api.deps import ContextDep, CurrentUser, ProjectDep, SessionDep, SettingsDep
from autocode.models import LogLevel, LogPublic, ProjectPublic, ProjectUpdate, ReplyRequest, ScreenText, StepDiff
from autocode.services import projects as project_service
from autocode.services import checkpoints, sessions

router = APIRouter(prefix="/projects", tags=["projects"])


@router.get("")
def list_projects(user: CurrentUser, session: SessionDep) -> list[ProjectPublic]:
    return [project_service.to_public(session, p) for p in project_service.list_projects(session, owner=user)]


@router.get("/{project_id}")
def get_project(project: ProjectDep, session: SessionDep) -> ProjectPublic:
    return project_service.to_public(session, project)


@router.put("/{project_id}")
def update_project(
    body: ProjectUpdate,
    project: ProjectDep,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> ProjectPublic:
    updated = project_service.update_project(
        session, data_dir=settings.data_path, owner=user, project=project, data=body
    )
    return project_service.to_public(session, updated)


@router.delete("/{project_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_project(project: ProjectDep, user: CurrentUser, session: SessionDep, ctx: ContextDep) -> None:
    project_service.delete_project(
        session, data_dir=ctx.settings.data_path, runtime=ctx.runtime, owner=user, project=project
    )


@router.get("/{project_id}/logs")
def list_logs(
    project: ProjectDep,
    session: SessionDep,
    after_id: Annotated[int, Query(ge=0)] = 0,
    level: LogLevel | None = None,
    limit: Annotated[int, Query(ge=1, le=project_service.MAX_LOG_PAGE)] = 200,
) -> list[LogPublic]:
    rows = project_service.list_logs(session, project=project, after_id=after_id, level=level, limit=limit)
    return [LogPublic.model_validate(r) for r in rows]


@router.get("/{project_id}/screen")
def get_screen(
    project: ProjectDep,
    user: CurrentUser,
    ctx: ContextDep,
    lines: Annotated[int, Query(ge=0, le=5000)] = 0,
) -> ScreenText:
    """What the project's terminal shows now, for a quick look on a phone."""
    text = sessions.screen(ctx.runtime, user=user, project=project, lines=lines)
    return ScreenText(text=text)


@router.post("/{project_id}/start")
def start_project(project: ProjectDep, user: CurrentUser, session: SessionDep, ctx: ContextDep) -> ProjectPublic:
    started = ctx.orchestrator.start(session, user=user, project=project)
    return project_service.to_public(session, started)


@router.post("/{project_id}/stop")
def stop_project(project: ProjectDep, user: CurrentUser, session: SessionDep, ctx: ContextDep) -> ProjectPublic:
    stopped = ctx.orchestrator.stop(session, user=user, project=project)
    return project_service.to_public(session, stopped)


@router.post("/{project_id}/restart")
def restart_project(project: ProjectDep, user: CurrentUser, session: SessionDep, ctx: ContextDep) -> ProjectPublic:
    restarted = ctx.orchestrator.restart(session, user=user, project=project)
    return project_service.to_public(session, restarted)


@router.post("/{project_id}/reply", status_code=status.HTTP_204_NO_CONTENT)
def reply(body: ReplyRequest, project: ProjectDep, session: SessionDep, ctx: ContextDep) -> None:
    """Answer the question a project that needs help is waiting on."""
    ctx.orchestrator.reply(session, project=project, text=body.text)


@router.get("/{project_id}/steps/{step}/diff")
def step_diff(project: ProjectDep, step: Annotated[int, Path(ge=1, le=1000)]) -> StepDiff:
    """What one step (1-based) changed in the workspace, from its checkpoint commit."""
    return checkpoints.step_diff(project, step)
