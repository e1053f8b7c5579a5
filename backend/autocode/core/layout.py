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

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from autocode.core.files import FileError, parse_rel

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
#: Claude Code's hook events, in ``hooks_rel(project_id)`` (autocode/hook.py, a stdlib-only
#: script, spells the same name: tests/unit/test_layering.py holds them together).
HOOKS_FILE = "hooks.jsonl"

# The server's own files in the data directory, and in a project's run folder.
SECRET_KEY = "secret.key"
VAPID_KEY = "vapid.pem"
DATABASE_FILES = ("autocode.db", "autocode.db-wal", "autocode.db-shm")
INBOX_FILE = "inbox.jsonl"  # replies, server -> supervisor
INSTRUCTIONS_FILE = "instructions.jsonl"  # a human's instructions, server -> supervisor
STATE_FILE = "state.json"  # the supervisor's own progress (offsets, turn, hook key)
SUPERVISOR_LOG = "supervisor.log"  # the supervisor process's stdout and stderr


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


def hooks_file(project_id: int) -> PurePosixPath:
    """The project's hook events, relative to the user's tree."""
    return hooks_rel(project_id) / HOOKS_FILE


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

    @property
    def secret_key(self) -> Path:
        return self.data_dir / SECRET_KEY

    @property
    def vapid_key(self) -> Path:
        return self.data_dir / VAPID_KEY

    @property
    def notify_cursor(self) -> Path:
        """The push notifier's place in the log."""
        return self.data_dir / "run" / "notify-cursor"

    def tmux_socket(self, username: str) -> Path:
        """A user's tmux socket under the local runtime (the runtime shortens a path too long)."""
        return self.data_dir / "run" / "tmux" / f"{check_name(username, 'username')}.sock"

    def docker_lock(self, username: str) -> Path:
        """The lock the server and the supervisors share while a user's container starts."""
        return self.data_dir / "run" / "docker" / f"{check_name(username, 'username')}.lock"

    def run_dir(self, project_id: int) -> Path:
        """Run state a project's supervisor and the server share: inbox, state, log."""
        return self.data_dir / "run" / "projects" / str(int(project_id))

    def inbox(self, project_id: int) -> Path:
        return self.run_dir(project_id) / INBOX_FILE

    def instructions(self, project_id: int) -> Path:
        return self.run_dir(project_id) / INSTRUCTIONS_FILE

    def supervisor_state(self, project_id: int) -> Path:
        return self.run_dir(project_id) / STATE_FILE

    def supervisor_log(self, project_id: int) -> Path:
        return self.run_dir(project_id) / SUPERVISOR_LOG

    @property
    def wake_socket(self) -> Path:
        """The server's datagram socket supervisors poke after each commit (its folder is 0700)."""
        return self.data_dir / "run" / "server" / "events.sock"

    def brain_dir(self, project_id: int) -> Path:
        """The decision model's own workspace (identity, memory, sessions)."""
        return self.run_dir(project_id) / "brain"

    def checkpoints_dir(self, project_id: int) -> Path:
        """The project's checkpoint repository (a bare git repository the server owns)."""
        return self.data_dir / "checkpoints" / f"{int(project_id)}.git"

    def agent_dir(self, agent_id: int) -> Path:
        return self.data_dir / "agents" / str(int(agent_id))


def check_rel(rel: PurePosixPath | str) -> PurePosixPath:
    """A relative path by the safe file layer's rule (no '..', NUL or overlong name; not absolute)."""
    path = PurePosixPath(rel)
    if path.is_absolute():
        raise ValueError("path must be relative")
    try:
        return parse_rel(path)
    except FileError as exc:
        raise ValueError(exc.message) from None


def within(root: PurePosixPath | str, path: str) -> PurePosixPath | None:
    """``path`` (absolute, or relative to ``root``) as a path relative to ``root``; None when it
    leaves ``root``. Decided on the words alone: nothing is resolved, no link is looked at."""
    if "\x00" in path:
        return None
    base = posixpath.normpath(str(root))
    joined = posixpath.normpath(posixpath.join(base, path))
    if joined == base:
        return PurePosixPath()
    prefix = base.rstrip("/") + "/"
    return PurePosixPath(joined[len(prefix) :]) if joined.startswith(prefix) else None
