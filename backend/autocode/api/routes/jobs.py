"""Jobs for scripts: make and start a project in one call, poll it, download its workspace."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from autocode.api.deps import ContextDep, CurrentUser, JobDep, SessionDep
from autocode.api.routes.projects import archive_zip_response
from autocode.models import JobCreate, JobStarted, JobStatus, ProjectStatus, pk
from autocode.services import agents as agent_service
from autocode.services import jobs as job_service

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_job(body: JobCreate, user: CurrentUser, session: SessionDep, ctx: ContextDep) -> JobStarted:
    """Make a project under one of your agents from `goal` (and `plan`, else the agent plans)
    and start it; the job's id is the project's id."""
    agent = agent_service.get_agent(session, owner=user, agent_id=body.agent_id)
    project = job_service.create_job(
        session,
        data_dir=ctx.settings.data_path,
        runtime=ctx.runtime,
        orchestrator=ctx.orchestrator,
        owner=user,
        agent=agent,
        data=body,
        production=ctx.settings.environment == "production",
    )
    return JobStarted(id=pk(project), status=ProjectStatus(project.status))


@router.get("/{job_id}")
def get_job(job: JobDep) -> JobStatus:
    """Where the job stands: status, the step under way, steps done of total, why it stopped."""
    return job_service.status_of(job)


@router.get(
    "/{job_id}/result.zip",
    response_class=Response,
    responses={
        200: {"content": {"application/zip": {}}, "description": "the job's workspace as .zip"},
        409: {"description": "the job is still running"},
    },
)
async def job_result(job: JobDep, user: CurrentUser, ctx: ContextDep) -> Response:
    """The job's workspace as a streamed .zip, once it stopped (409 while it runs)."""
    job_service.require_result(job)
    return await archive_zip_response(ctx.settings.data_path, user.username, job.slug)
