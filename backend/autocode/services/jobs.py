"""Jobs: the script's view of a project. One call makes a project from a goal and starts it;
its status is read back in a few plain fields; its workspace downloads as a .zip once done.

A job *is* a project (same id), so it shows in the app like any other.
"""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from autocode.models import (
    ACTIVE_STATUSES,
    Agent,
    JobCreate,
    JobStatus,
    Project,
    ProjectCreate,
    ProjectStatus,
    StepStatus,
    User,
    pk,
)
from autocode.runtime import Runtime
from autocode.services import projects as project_service
from autocode.services.errors import Conflict, DomainError
from autocode.services.orchestrator import Orchestrator

# Nothing more happens to a job in these states until a human (or the script) acts.
FINISHED = (ProjectStatus.COMPLETED, ProjectStatus.FAILED)
# States whose reason is what the script needs to hear.
REASONED = (ProjectStatus.FAILED, ProjectStatus.PAUSED, ProjectStatus.NEEDS_HELP)


def job_name(goal: str) -> str:
    """A project name from a goal: its first non-empty line, cut to 100 characters."""
    first = next((line.strip() for line in goal.splitlines() if line.strip()), "")
    return (first[:97].rstrip() + "...") if len(first) > 100 else (first or "Job")


def create_job(
    session: Session,
    *,
    data_dir: Path,
    runtime: Runtime,
    orchestrator: Orchestrator,
    owner: User,
    agent: Agent,
    data: JobCreate,
    production: bool = True,
) -> Project:
    """Make the project and start it; if it cannot start, it is removed again and the reason raised."""
    project = project_service.create_project(
        session,
        data_dir=data_dir,
        owner=owner,
        agent=agent,
        data=ProjectCreate(
            name=data.name or job_name(data.goal),
            description=data.goal,
            implementation_plan=list(data.plan or []),
            budget_tokens=data.budget_tokens,
            git_url=data.git_url,
        ),
        production=production,
    )
    try:
        return orchestrator.start(session, user=owner, project=project)
    except DomainError:
        # A job refused before it ran (no Claude key, runtime not allowed) leaves nothing behind.
        session.refresh(project)
        if project.status == ProjectStatus.CLONING.value and not orchestrator.is_cloning(pk(project)):
            # Refused before its clone began: nothing runs for it, so it can go.
            project.status = ProjectStatus.CREATED.value
        if project.status not in ACTIVE_STATUSES:
            project_service.delete_project(session, data_dir=data_dir, runtime=runtime, owner=owner, project=project)
        raise


def status_of(project: Project) -> JobStatus:
    """The job's status as a script reads it (a pure function of the project row)."""
    status = ProjectStatus(project.status)
    plan = project.implementation_plan
    done = sum(1 for s in plan if s.get("status") in (StepStatus.DONE.value, StepStatus.SKIPPED.value))
    index = project.current_step
    under_way = status not in (ProjectStatus.COMPLETED, ProjectStatus.CREATED) and 0 <= index < len(plan)
    return JobStatus(
        id=pk(project),
        status=status,
        done=status in FINISHED,
        current_step=index + 1 if under_way else None,
        current_step_title=str(plan[index].get("title", "")) if under_way else None,
        steps_done=done,
        steps_total=len(plan),
        error=project.status_reason if status in REASONED else None,
        result_url=None
        if status in ACTIVE_STATUSES or status == ProjectStatus.CLONING
        else f"/api/jobs/{pk(project)}/result.zip",
    )


def require_result(project: Project) -> None:
    """The workspace downloads once the job stopped (completed, failed, paused); while it runs,
    plans or waits for help it is a 409 naming the status."""
    status = ProjectStatus(project.status)
    if status in ACTIVE_STATUSES or status == ProjectStatus.CLONING:
        raise Conflict(f"The job is {status.value.replace('_', ' ')}; its result is ready once it stops")
