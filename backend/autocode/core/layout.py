"""Where everything lives on disk: the one owner of the data directory's layout.

Paths are computed from the data directory, a username, a project's slug or id; never taken
from the database or from a link. Two kinds of places:

- **the user's tree** ``users/{u}/``: their shell's home (local runtime) or their container's
  ``/workspace`` (docker runtime). The user controls everything in it, so the host reaches it
  only through :mod:`autocode.core.files`, with paths relative to the tree
  (:class:`~pathlib.PurePosixPath`), never by joining host paths and opening them.
- **the server's own places** (``run/``, ``agents/``, ``secret.key``, the database): no user
  can write there. Run state, the supervisor's inbox and log, the decision model's workspace
  and each project's checkpoint repository live here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")

# Inside a user's tree (relative to users/{u}/).
PROJECTS = PurePosixPath("projects")
CLAUDE_CONFIG = PurePosixPath("config/claude")
CLAUDE_HOME = PurePosixPath("config/home")
AUTOCODE = PurePosixPath(".autocode")
HOOK_SCRIPT = AUTOCODE / "hook.py"
# Inside a project's folder.
CLAUDE_MD = PurePosixPath(".claude/CLAUDE.md")
CLAUDE_LOCAL_SETTINGS = PurePosixPath(".claude/settings.local.json")


def check_name(value: str, what: str) -> str:
    """A username or slug safe as one path component (and as a tmux/container name)."""
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise ValueError(f"invalid {what}: use letters, digits, '-' and '_' (at most 64)")
    return value


def project_rel(slug: str) -> PurePosixPath:
    """A project's folder, relative to its owner's tree."""
    return PROJECTS / check_name(slug, "slug")


def hooks_rel(project_id: int) -> PurePosixPath:
    """Where Claude Code's hook appends a project's events (Claude Code runs in the user's
    environment, so this is in their tree; every line carries a MAC the supervisor checks)."""
    return AUTOCODE / "projects" / str(int(project_id))


INSTRUCTIONS_FILE = "instructions.jsonl"
INBOX_FILE = "inbox.jsonl"


def run_dir(data_dir: Path, project_id: int) -> Path:
    """Files the server and a project's supervisor share: replies, instructions, its state."""
    return data_dir / "run" / "projects" / str(project_id)


@dataclass(frozen=True)
class Layout:
    """The data directory of one installation."""

    data_dir: Path

    @classmethod
    def at(cls, data_dir: Path) -> Layout:
        return cls(Path(data_dir).expanduser().resolve())

    # -- the users' trees ------------------------------------------------------------------

    @property
    def users_dir(self) -> Path:
        return self.data_dir / "users"

    def user_dir(self, username: str) -> Path:
        """The root of a user's tree (open it with core.files, never follow links below it)."""
        return self.users_dir / check_name(username, "username")

    def host_path(self, username: str, rel: PurePosixPath) -> Path:
        """A place in the user's tree as a host path, for argv/cwd values handed to the runtime
        (which maps it into the user's environment); never opened by the host through this."""
        return self.user_dir(username).joinpath(*check_rel(rel).parts)

    # -- the server's own places ---------------------------------------------------------------

    def run_dir(self, project_id: int) -> Path:
        """Run state a project's supervisor and the server share: inbox, state, log."""
        return self.data_dir / "run" / "projects" / str(int(project_id))

    def brain_dir(self, project_id: int) -> Path:
        """The decision model's own workspace (identity, memory, sessions)."""
        return self.run_dir(project_id) / "brain"

    def checkpoints_dir(self, project_id: int) -> Path:
        """The project's checkpoint repository (a bare git repository the server owns)."""
        return self.data_dir / "checkpoints" / f"{int(project_id)}.git"

    def agent_dir(self, agent_id: int) -> Path:
        return self.data_dir / "agents" / str(int(agent_id))


def check_rel(rel: PurePosixPath | str) -> PurePosixPath:
    """A relative path with ordinary components only (no '', '.', '..', NUL, absolute)."""
    path = PurePosixPath(rel)
    if path.is_absolute():
        raise ValueError("path must be relative")
    for part in path.parts:
        if part in ("", ".", "..") or "\x00" in part:
            raise ValueError("path has a forbidden component")
    return path
