"""A project's tmux session: made on demand so a user can always jump into a shell."""

from __future__ import annotations

from typing import Literal

from autocode.core.config import Settings
from autocode.core.layout import project_rel
from autocode.models import Project, User
from autocode.runtime import Runtime
from autocode.runtime.base import SessionExists
from autocode.services import runtime_policy

SHELL_WINDOW = "shell"
AGENT_WINDOW = "agent"
# bash shortens `\w` in its prompt to the last two directories. A prompt that wraps on a phone
# is redrawn by readline after a resize as if it still wrapped, erasing the line above it.
SHELL_ENV = {"PROMPT_DIRTRIM": "2"}

Window = Literal["agent", "shell"]


def ensure_session(runtime: Runtime, *, user: User, project: Project, cols: int = 200, rows: int = 50) -> None:
    """Create the project's session with a login shell in its workspace when it is missing."""
    if runtime.has_session(user.username, project.tmux_session):
        return
    try:
        runtime.create_session(
            user.username,
            project.tmux_session,
            window=SHELL_WINDOW,
            command=None,
            cwd=runtime.workspace(user.username).joinpath(*project_rel(project.slug).parts),
            env=SHELL_ENV,
            cols=cols,
            rows=rows,
        )
    except SessionExists:
        pass  # another viewer made it a moment ago


def pick_window(runtime: Runtime, *, user: User, project: Project, asked: Window | None) -> Window:
    """The window a viewer sees: the one asked for when it exists; else Claude Code's window
    whenever Claude Code runs in the session, the shell otherwise."""
    if asked == "shell":
        return "shell"
    if runtime.has_window(user.username, project.tmux_session, AGENT_WINDOW):
        return "agent"
    return "shell"


def screen(
    runtime: Runtime, *, settings: Settings, user: User, project: Project, lines: int, window: Window | None = None
) -> tuple[Window, str]:
    """The visible screen of one of the session's windows, plus `lines` of history."""
    runtime_policy.require_runtime(settings, user)
    ensure_session(runtime, user=user, project=project)
    shown = pick_window(runtime, user=user, project=project, asked=window)
    return shown, runtime.capture(user.username, f"{project.tmux_session}:{shown}", history=lines)
