"""Processes and listening ports of a project's tmux session."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import anyio
import anyio.to_thread
from fastapi import APIRouter, Path, Query

from autocode.api.deps import ContextDep, CurrentUser, ProjectDep
from autocode.models import (
    ListenerPublic,
    PortPublic,
    ProcessOutput,
    ProcessPublic,
    ProcessStopped,
    pk,
)
from autocode.runtime.procs import ProcessInfo
from autocode.services import processes

router = APIRouter(prefix="/projects", tags=["processes"])
T = TypeVar("T")

# Linux pids go up to 2^22 (pid_max's ceiling); anything else is bad input, not a lookup.
Pid = Annotated[int, Path(ge=1, le=4_194_304)]

# Reading /proc (through docker exec under docker) and waiting for a process to end get
# threads of their own, so a slow one never holds the pool other routes share.
_PROC_WORK = anyio.CapacityLimiter(4)


async def _off_loop(fn: Callable[..., T], **kwargs: object) -> T:
    return await anyio.to_thread.run_sync(functools.partial(fn, **kwargs), limiter=_PROC_WORK)


def _public(proc: ProcessInfo) -> ProcessPublic:
    return ProcessPublic(
        pid=proc.pid,
        ppid=proc.ppid,
        command=proc.command,
        state=proc.state,
        cpu_percent=proc.cpu_percent,
        rss_bytes=proc.rss_bytes,
        started_at=datetime.fromtimestamp(proc.started_at, UTC),
        listening=[ListenerPublic(address=lst.address, port=lst.port) for lst in proc.listening],
        window=proc.window,
        has_output=proc.pane_id is not None,
    )


@router.get("/{project_id}/processes")
async def list_processes(project: ProjectDep, user: CurrentUser, ctx: ContextDep) -> list[ProcessPublic]:
    """The processes of the project's tmux session (empty when it does not run)."""
    found = await _off_loop(
        processes.list_processes, runtime=ctx.runtime, settings=ctx.settings, user=user, project=project
    )
    return [_public(proc) for proc in found]


@router.post("/{project_id}/processes/{pid}/stop")
async def stop_process(project: ProjectDep, user: CurrentUser, ctx: ContextDep, pid: Pid) -> ProcessStopped:
    """TERM one of the session's processes, then KILL it after a few seconds."""
    result = await _off_loop(
        processes.stop_process, runtime=ctx.runtime, settings=ctx.settings, user=user, project=project, pid=pid
    )
    return ProcessStopped(pid=pid, result=result)


@router.get("/{project_id}/processes/{pid}/output")
async def process_output(
    project: ProjectDep, user: CurrentUser, ctx: ContextDep, pid: Pid, lines: Annotated[int, Query(ge=1, le=2000)] = 200
) -> ProcessOutput:
    """The last lines of the window the process runs in (when it has one of its own)."""
    proc, text = await _off_loop(
        processes.process_output,
        runtime=ctx.runtime,
        settings=ctx.settings,
        user=user,
        project=project,
        pid=pid,
        lines=lines,
    )
    return ProcessOutput(pid=proc.pid, window=proc.window, text=text)


@router.get("/{project_id}/ports")
async def list_ports(project: ProjectDep, user: CurrentUser, ctx: ContextDep) -> list[PortPublic]:
    """The listening TCP ports of the session's processes."""
    found = await _off_loop(
        processes.listening_ports, runtime=ctx.runtime, settings=ctx.settings, user=user, project=project
    )
    return [
        PortPublic(
            port=p.port,
            address=p.address,
            pid=p.pid,
            command=p.command,
            preview_url=ctx.preview.public_url(pk(project), p.port),
        )
        for p in found
    ]
