"""Projects of the current user, and their logs."""

from __future__ import annotations

import functools
import logging
import pathlib
from collections.abc import AsyncIterator, Callable, Generator
from typing import Annotated, Literal, TypeVar
from urllib.parse import quote

import anyio
import anyio.to_thread
from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile, status
from fastapi.responses import FileResponse, StreamingResponse
from starlette.background import BackgroundTask

from autocode.api.deps import (
    MAX_ID,
    BearerDep,
    ContextDep,
    CurrentUser,
    ProjectDep,
    SessionDep,
    SettingsDep,
    WorkspacePath,
    cached_read,
)
from autocode.models import (
    FileEntry,
    FileRename,
    FileSave,
    FileSaved,
    FileText,
    FolderCreate,
    InstructionRequest,
    LogLevel,
    LogPublic,
    PlanReorder,
    PlanStepIn,
    ProjectPublic,
    ProjectUpdate,
    ReplyRequest,
    ScreenText,
    StepDiff,
    TemplateCreate,
    TemplatePublic,
    Uploaded,
    pk,
)
from autocode.services import archives, checkpoints, files, plan_rules, sessions
from autocode.services import projects as project_service
from autocode.services import templates as template_service
from autocode.services.errors import Invalid

router = APIRouter(prefix="/projects", tags=["projects"])
T = TypeVar("T")
log = logging.getLogger(__name__)


@router.get("", response_model=list[ProjectPublic])
async def list_projects(ctx: ContextDep, creds: BearerDep) -> Response:
    # The dashboard polls this from every open tab: answered from the read cache while nothing changed.
    return await cached_read(ctx, creds, "projects", project_service.projects_json)


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
    ctx.sockets.end_project(pk(project))


@router.post("/{project_id}/save-template", status_code=status.HTTP_201_CREATED)
def save_template(body: TemplateCreate, project: ProjectDep, user: CurrentUser, session: SessionDep) -> TemplatePublic:
    """Save the project's goal, architecture and plan as one of your templates."""
    return template_service.save_from_project(session, owner=user, project=project, data=body)


@router.get("/{project_id}/logs")
def list_logs(
    project: ProjectDep,
    session: SessionDep,
    after_id: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    level: LogLevel | None = None,
    limit: Annotated[int, Query(ge=1, le=project_service.MAX_LOG_PAGE)] = 200,
) -> list[LogPublic]:
    rows = project_service.list_logs(session, project=project, after_id=after_id, level=level, limit=limit)
    return [LogPublic.model_validate(r) for r in rows]


@router.get("/{project_id}/activity")
def list_activity(
    project: ProjectDep,
    session: SessionDep,
    after_id: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=project_service.MAX_LOG_PAGE)] = 200,
) -> list[LogPublic]:
    """The activity feed's history (the events socket carries the same rows live): rows with
    `data.activity` (a message, a tool call, its result, a question, an answer) and decisions."""
    rows = project_service.list_activity(session, project=project, after_id=after_id, limit=limit)
    return [LogPublic.model_validate(r) for r in rows]


@router.get("/{project_id}/screen")
def get_screen(
    project: ProjectDep,
    user: CurrentUser,
    ctx: ContextDep,
    lines: Annotated[int, Query(ge=0, le=5000)] = 0,
    window: sessions.Window | None = None,
) -> ScreenText:
    """What the project's terminal shows now, for a quick look on a phone: Claude Code's
    window while it runs, the shell otherwise (or the window asked for)."""
    shown, text = sessions.screen(
        ctx.runtime, settings=ctx.settings, user=user, project=project, lines=lines, window=window
    )
    return ScreenText(text=text, window=shown)


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


@router.post("/{project_id}/retry")
def retry_project(project: ProjectDep, user: CurrentUser, session: SessionDep, ctx: ContextDep) -> ProjectPublic:
    """Run a failed project's failed step again, from the start of that step."""
    retried = ctx.orchestrator.retry(session, user=user, project=project)
    return project_service.to_public(session, retried)


@router.post("/{project_id}/reply", status_code=status.HTTP_204_NO_CONTENT)
def reply(body: ReplyRequest, project: ProjectDep, session: SessionDep, ctx: ContextDep) -> None:
    """Answer the question a project that needs help is waiting on."""
    ctx.orchestrator.reply(session, project=project, answer=body)


@router.post("/{project_id}/instructions", status_code=status.HTTP_202_ACCEPTED)
def send_instruction(body: InstructionRequest, project: ProjectDep, session: SessionDep, ctx: ContextDep) -> None:
    """Queue an instruction for Claude Code, given at the running project's next turn boundary."""
    ctx.orchestrator.instruct(session, project=project, text=body.text)


StepNumber = Annotated[int, Path(ge=1, le=plan_rules.MAX_STEPS)]


@router.post("/{project_id}/steps", status_code=status.HTTP_201_CREATED)
def add_step(
    body: PlanStepIn, project: ProjectDep, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> ProjectPublic:
    """Append a pending step to a stopped project's plan (a completed project can then start again)."""
    changed = project_service.change_plan(
        session,
        data_dir=settings.data_path,
        owner=user,
        project=project,
        change=lambda plan: plan_rules.append_step(plan, body.title, body.detail),
    )
    return project_service.to_public(session, changed)


@router.post("/{project_id}/steps/reorder")
def reorder_steps(
    body: PlanReorder, project: ProjectDep, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> ProjectPublic:
    """Put the pending steps in a new order; done, failed and skipped steps keep their places."""
    changed = project_service.change_plan(
        session,
        data_dir=settings.data_path,
        owner=user,
        project=project,
        change=lambda plan: plan_rules.reorder_pending(plan, body.order),
    )
    return project_service.to_public(session, changed)


@router.put("/{project_id}/steps/{step}")
def edit_step(
    body: PlanStepIn,
    step: StepNumber,
    project: ProjectDep,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> ProjectPublic:
    """Change the title and detail of a pending step (1-based)."""
    changed = project_service.change_plan(
        session,
        data_dir=settings.data_path,
        owner=user,
        project=project,
        change=lambda plan: plan_rules.edit_step(plan, step, body.title, body.detail),
    )
    return project_service.to_public(session, changed)


@router.delete("/{project_id}/steps/{step}")
def remove_step(
    step: StepNumber, project: ProjectDep, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> ProjectPublic:
    """Remove a pending step (1-based)."""
    changed = project_service.change_plan(
        session,
        data_dir=settings.data_path,
        owner=user,
        project=project,
        change=lambda plan: plan_rules.remove_step(plan, step),
    )
    return project_service.to_public(session, changed)


@router.get("/{project_id}/steps/{step}/diff")
async def step_diff(
    project: ProjectDep, user: CurrentUser, settings: SettingsDep, step: Annotated[int, Path(ge=1, le=1000)]
) -> StepDiff:
    """What one step (1-based) changed in the workspace, from its checkpoint."""
    where = checkpoints.Workspace.of(settings.data_path, user.username, project)
    return await _off_loop(checkpoints.step_diff, where, project, step)


@router.get("/{project_id}/files")
async def list_files(
    project: ProjectDep, user: CurrentUser, settings: SettingsDep, path: WorkspacePath = ""
) -> list[FileEntry]:
    """One folder of the workspace (path relative to it)."""
    entries = await _off_loop(files.list_dir, settings.data_path, user.username, project.slug, path)
    return [FileEntry(name=e.name, path=e.path, kind=e.kind, size=e.size) for e in entries]


@router.get("/{project_id}/files/content")
async def read_file(
    project: ProjectDep, user: CurrentUser, settings: SettingsDep, path: Annotated[WorkspacePath, Query(min_length=1)]
) -> FileText:
    """A file of the workspace as text (first MB; `text` is null for binary files)."""
    content = await _off_loop(files.read_file, settings.data_path, user.username, project.slug, path)
    return FileText(
        path=content.path, size=content.size, text=content.text, truncated=content.truncated, etag=content.etag
    )


@router.get(
    "/{project_id}/files/raw",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "the file as it is"}},
)
async def download_file(
    project: ProjectDep, user: CurrentUser, settings: SettingsDep, path: Annotated[WorkspacePath, Query(min_length=1)]
) -> Response:
    """One file of the workspace as a download (streamed, whatever its size or kind)."""
    fd, size, name = await _off_loop(files.open_file, settings.data_path, user.username, project.slug, path)
    return StreamingResponse(
        files.stream(fd, size),
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "Content-Length": str(size),
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.put("/{project_id}/files/content")
async def save_file(
    body: FileSave,
    project: ProjectDep,
    user: CurrentUser,
    ctx: ContextDep,
    path: Annotated[WorkspacePath, Query(min_length=1)],
) -> FileSaved:
    """Create or replace a text file; `etag` from the read refuses overwriting a change (409)."""
    saved = await _off_loop(
        files.save_text,
        ctx.settings.data_path,
        user.username,
        project.slug,
        path,
        body.text,
        runtime=ctx.runtime,
        etag=body.etag,
        overwrite=body.overwrite,
    )
    return FileSaved(path=saved.path, size=saved.size, etag=saved.etag)


@router.delete("/{project_id}/files", status_code=status.HTTP_204_NO_CONTENT)
async def delete_file(
    project: ProjectDep, user: CurrentUser, settings: SettingsDep, path: Annotated[WorkspacePath, Query(min_length=1)]
) -> None:
    """Delete a file, or a folder with everything in it (a link itself, never what it points at)."""
    await _off_loop(files.delete, settings.data_path, user.username, project.slug, path)


@router.post("/{project_id}/files/rename")
async def rename_file(body: FileRename, project: ProjectDep, user: CurrentUser, ctx: ContextDep) -> FileEntry:
    """Rename or move a file or folder within the workspace (409 when `to` exists, unless `overwrite`)."""
    moved = await _off_loop(
        files.rename,
        ctx.settings.data_path,
        user.username,
        project.slug,
        body.from_,
        body.to,
        runtime=ctx.runtime,
        overwrite=body.overwrite,
    )
    found = await _off_loop(files.entry, ctx.settings.data_path, user.username, project.slug, moved)
    return FileEntry(name=found.name, path=found.path, kind=found.kind, size=found.size)


@router.post("/{project_id}/files/folder", status_code=status.HTTP_201_CREATED)
async def create_folder(body: FolderCreate, project: ProjectDep, user: CurrentUser, ctx: ContextDep) -> FileEntry:
    """A new empty folder (409 when the name is taken)."""
    made = await _off_loop(
        files.make_folder, ctx.settings.data_path, user.username, project.slug, body.path, runtime=ctx.runtime
    )
    return FileEntry(name=made.rsplit("/", 1)[-1], path=made, kind="dir", size=0)


@router.post("/{project_id}/files/upload", status_code=status.HTTP_201_CREATED)
async def upload_files(
    project: ProjectDep,
    user: CurrentUser,
    ctx: ContextDep,
    files_: Annotated[list[UploadFile], File(alias="files", description="the files")],
    paths: Annotated[
        list[str] | None,
        Form(description="each file's path below `path` (a folder upload's relative paths), in the order of `files`"),
    ] = None,
    path: WorkspacePath = "",
    overwrite: bool = False,
) -> Uploaded:
    """Upload files (or a folder, with `paths`) into the folder `path` of the workspace.

    Names are checked (422) and sizes capped per file and per request (413) before anything is
    written; names already taken answer 409 unless `overwrite`.
    """
    if paths is not None and len(paths) != len(files_):
        raise Invalid("Upload: give one path per file")
    items = [
        files.Upload(path=paths[i] if paths is not None else (f.filename or ""), size=f.size or 0, stream=f.file)
        for i, f in enumerate(files_)
    ]
    s = ctx.settings
    limits = files.UploadLimits(
        max_file_bytes=s.upload_max_file_bytes, max_total_bytes=s.upload_max_bytes, max_files=s.upload_max_files
    )
    saved = await _off_loop(
        files.upload,
        s.data_path,
        user.username,
        project.slug,
        path,
        items,
        runtime=ctx.runtime,
        limits=limits,
        overwrite=overwrite,
    )
    return Uploaded(files=[FileSaved(path=x.path, size=x.size, etag=x.etag) for x in saved])


ArchiveFormat = Literal["tar.gz", "zip"]


@router.get(
    "/{project_id}/archive",
    response_class=Response,
    responses={
        200: {
            "content": {"application/gzip": {}, "application/zip": {}},
            "description": "the workspace (or one folder of it) as .tar.gz or .zip",
        }
    },
)
async def download_archive(
    project: ProjectDep,
    user: CurrentUser,
    settings: SettingsDep,
    path: WorkspacePath = "",
    archive_format: Annotated[ArchiveFormat, Query(alias="format")] = "tar.gz",
) -> Response:
    """The workspace, or the folder `path` of it, as a download: a .tar.gz (written to a
    temporary file, then sent) or a .zip (streamed while it is made, limits checked first)."""
    if archive_format == "zip":
        return await archive_zip_response(settings.data_path, user.username, project.slug, path)
    tmp = await _off_loop(files.archive, settings.data_path, user.username, project.slug, path)
    return FileResponse(
        tmp,
        media_type="application/gzip",
        filename=_archive_name(project.slug, path, "tar.gz"),
        background=BackgroundTask(tmp.unlink, missing_ok=True),
    )


async def archive_zip_response(data_dir: pathlib.Path, username: str, slug: str, path: str = "") -> Response:
    """A streamed .zip of a workspace or folder (also the job API's result.zip)."""
    source = await _off_loop(files.archive_source, data_dir, username, slug, path)
    await _off_loop(archives.check_limits, source)  # TooLarge is a 413 before any byte
    return StreamingResponse(
        _stream(archives.zip_chunks(source)),
        media_type="application/zip",
        headers={"Content-Disposition": _disposition(_archive_name(slug, path, "zip")), "Cache-Control": "no-store"},
    )


def _archive_name(slug: str, path: str, suffix: str) -> str:
    folder = pathlib.PurePosixPath(path.strip()).name
    return f"{slug}-{folder}.{suffix}" if folder else f"{slug}.{suffix}"


def _disposition(filename: str) -> str:
    ascii_name = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=utf-8''{quote(filename)}"


async def _stream(chunks: Generator[bytes, None, None]) -> AsyncIterator[bytes]:
    """Each chunk made off the event loop, on the workspace readers' limiter; the walk's
    descriptors are closed however the stream ends (done, failed, client gone)."""
    try:
        while (chunk := await _off_loop(next, chunks, None)) is not None:
            yield chunk
    except Exception:
        log.warning("archive stream ended early", exc_info=True)
        raise
    finally:
        with anyio.CancelScope(shield=True):
            await _off_loop(chunks.close)


# Reading workspaces (listings, diffs, archives) gets threads of its own, so a large
# workspace never holds the pool every other synchronous route shares.
_FILE_WORK = anyio.CapacityLimiter(4)


async def _off_loop(fn: Callable[..., T], *args: object, **kwargs: object) -> T:
    return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs), limiter=_FILE_WORK)
