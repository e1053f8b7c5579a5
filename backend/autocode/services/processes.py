"""The processes and listening ports of a project's tmux session; stopping one of them.

Only processes of the project's own session are ever shown or signalled: the runtime finds
them from the session's panes (inside the user's container under docker), and any other pid,
of another project, another user or the server itself, is "not found".
"""

from __future__ import annotations

from autocode.core.config import Settings
from autocode.models import Project, User
from autocode.runtime import Runtime
from autocode.runtime.base import NoOwnWindow, ProcessNotFound
from autocode.runtime.procs import ListeningPort, ProcessInfo, StopResult
from autocode.runtime.procs import listening_ports as _ports_of
from autocode.services import runtime_policy
from autocode.services.errors import NotFound

__all__ = ["ListeningPort", "ProcessInfo", "list_processes", "listening_ports", "process_output", "stop_process"]

STOP_GRACE = 3.0  # seconds between TERM and KILL
OUTPUT_LINES = 200
_NO_PROCESS = "No such process in this project's session"


def list_processes(runtime: Runtime, *, settings: Settings, user: User, project: Project) -> list[ProcessInfo]:
    """The processes of the project's session (empty when the session does not run)."""
    runtime_policy.require_runtime(settings, user)
    return runtime.session_processes(user.username, project.tmux_session)


def listening_ports(runtime: Runtime, *, settings: Settings, user: User, project: Project) -> list[ListeningPort]:
    """The listening TCP ports held by the project's session's processes, by port."""
    runtime_policy.require_runtime(settings, user)
    return _ports_of(runtime.session_processes(user.username, project.tmux_session, sample=0))


def stop_process(runtime: Runtime, *, settings: Settings, user: User, project: Project, pid: int) -> StopResult:
    """TERM the session's process `pid`, KILL it after a grace; NotFound for any other pid."""
    runtime_policy.require_runtime(settings, user)
    try:
        return runtime.stop_process(user.username, project.tmux_session, pid, grace=STOP_GRACE)
    except ProcessNotFound as exc:
        raise NotFound(_NO_PROCESS) from exc


def process_output(
    runtime: Runtime, *, settings: Settings, user: User, project: Project, pid: int, lines: int = OUTPUT_LINES
) -> tuple[ProcessInfo, str]:
    """The process and the last lines of the window it runs in the foreground of."""
    runtime_policy.require_runtime(settings, user)
    try:
        return runtime.process_output(user.username, project.tmux_session, pid, lines=lines)
    except NoOwnWindow as exc:
        raise NotFound("This process has no window of its own: its output is not kept") from exc
    except ProcessNotFound as exc:
        raise NotFound(_NO_PROCESS) from exc
