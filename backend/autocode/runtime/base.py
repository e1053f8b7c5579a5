"""The runtime interface: tmux sessions of one user's projects, wherever tmux runs."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import os
import re
import socket
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from autocode.core.layout import within
from autocode.runtime import procs
from autocode.runtime.procs import ProcessInfo, StopResult

logger = logging.getLogger(__name__)

# tmux names (users, sessions, windows) come from ids and slugs we make, never raw user text:
# no "." or ":" (target syntax), no spaces, no leading "-" (would read as an option).
_NAME_MAX = 64
_NAME_RE = re.compile(rf"^[A-Za-z0-9_][A-Za-z0-9_-]{{0,{_NAME_MAX - 1}}}$")
_ENV_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_KEY_NAMES = (
    "Enter|Escape|Tab|BTab|BSpace|Space|Up|Down|Left|Right|Home|End|PageUp|PageDown"
    "|PgUp|PgDn|PPage|NPage|IC|DC|F[1-9]|F1[0-2]|[A-Za-z0-9]|[-/?.,;'`=\\[\\]\\\\]"
)
_KEY_RE = re.compile(rf"^(?:[CMS]-)*(?:{_KEY_NAMES})$")

# tmux refuses a command message much over 16 KiB: long text goes in pieces.
_SEND_CHUNK = 2000
_PLACEHOLDER = "autocode-placeholder"
DEFAULT_HISTORY_LIMIT = 50_000


class RuntimeErrorBase(Exception):
    """Base of every error the runtime raises."""


class InvalidName(RuntimeErrorBase, ValueError):
    """A user, session, window, key or environment name that tmux must never see."""


SERVER_EXIT_RETRIES = 5


class PathOutsideWorkspace(RuntimeErrorBase, ValueError):
    """A working directory outside the user's workspace."""


def tree_rel(root: Path, path: Path) -> PurePosixPath:
    """An absolute ``path`` relative to a user's tree, decided on the words alone (links are
    never resolved: the tree is the user's, and core.files opens it without following any)."""
    rel = within(root.as_posix(), os.fspath(path)) if path.is_absolute() else None
    if rel is None:
        raise PathOutsideWorkspace(f"{path} is outside the workspace")
    return rel


class SessionNotFound(RuntimeErrorBase, LookupError):
    """The session or window does not exist (or the user's tmux server is not running)."""


class SessionExists(RuntimeErrorBase):
    """A session with that name already runs."""


class ProcessNotFound(RuntimeErrorBase, LookupError):
    """No process with that pid in the session (or it has no window of its own)."""


class NoOwnWindow(ProcessNotFound):
    """The process runs in the session but no window shows its output."""


class RuntimeUnavailable(RuntimeErrorBase):
    """tmux, the Docker engine or the workspace image cannot be used."""


class CommandFailed(RuntimeErrorBase):
    """A tmux or docker call failed for another reason."""

    def __init__(self, message: str, *, returncode: int | None = None, stderr: str = "") -> None:
        super().__init__(message if not stderr else f"{message}: {stderr.strip()}")
        self.returncode = returncode
        self.stderr = stderr


@dataclass(frozen=True)
class PaneInfo:
    """What a pane looks like right now."""

    dead: bool
    dead_status: int | None
    dead_signal: int | None
    current_command: str
    width: int
    height: int
    pid: int | None


@dataclass(frozen=True)
class Availability:
    """Whether a runtime can be used, for doctor and health checks."""

    ok: bool
    kind: str
    detail: str


@dataclass(frozen=True)
class CommandResult:
    """How one command run to its end in a user's environment went (output: its last bytes)."""

    returncode: int
    output: str
    timed_out: bool


#: The most output of a run command kept (its end: errors come last).
MAX_COMMAND_OUTPUT = 64 * 1024


def keep_tail(buffer: bytearray, chunk: bytes, limit: int = MAX_COMMAND_OUTPUT) -> None:
    """Append a chunk, dropping the oldest bytes past the limit."""
    buffer.extend(chunk)
    if len(buffer) > limit:
        del buffer[: len(buffer) - limit]


@dataclass(frozen=True)
class TmuxResult:
    """Output of one tmux call."""

    returncode: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Dialed:
    """A byte stream to a port in a user's environment (see Runtime.dial)."""

    sock: socket.socket
    # Docker's exec stream without a tty: what comes back arrives in frames with an 8-byte
    # header (stream id, size); what goes in is plain.
    framed: bool
    owner: object = None  # keeps the client library's wrapper of `sock` alive


def check_loopback(address: str, port: int) -> str:
    """Refuse any destination but a loopback address (the preview proxy dials nothing else)."""
    if not 1 <= port <= 65535 or not ipaddress.ip_address(address).is_loopback:
        raise InvalidName(f"refusing to dial {address}:{port}: loopback only")
    return address


def validate_name(value: str, what: str = "name") -> str:
    """Return value when it is a safe tmux/container name, else raise InvalidName."""
    if not isinstance(value, str) or not _NAME_RE.fullmatch(value):
        raise InvalidName(f"invalid {what}: {value!r} (use letters, digits, '-' and '_', max 64)")
    return value


def session_name(username: str, slug: str) -> str:
    """The tmux session name of one project of one user: ``{username}-{slug}``, or when that is
    longer than a name may be, its first 55 characters and a digest of the whole."""
    name = f"{validate_name(username, 'username')}-{validate_name(slug, 'slug')}"
    if len(name) > _NAME_MAX:
        name = f"{name[: _NAME_MAX - 9]}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return validate_name(name, "session")


def target(session: str, window: str | None = None) -> str:
    """A target string `session:window` (or just `session` for its current window)."""
    validate_name(session, "session")
    if window is None:
        return session
    return f"{session}:{validate_name(window, 'window')}"


#: Viewer sessions (one per terminal showing a given window) are named `<session>_view_<hex>`.
VIEWER_MARK = "_view_"


def viewer_commands(session: str, window: str | None, *, readonly: bool) -> list[str]:
    """tmux commands (one argv, `;`-separated) that attach a client to the session or to one
    of its windows through a grouped viewer session that goes away with the client."""
    validate_name(session, "session")
    flags = ["-r"] if readonly else []
    if window is None:
        return ["attach-session", "-t", f"={session}", *flags]
    validate_name(window, "window")
    viewer = f"{session}{VIEWER_MARK}{uuid.uuid4().hex[:8]}"
    return [
        "new-session",
        "-d",
        "-t",
        f"={session}",
        "-s",
        viewer,
        ";",
        "set-option",
        "-t",
        f"={viewer}:",
        "destroy-unattached",
        "on",
        ";",
        # the status line names the project's session, not this viewer's
        "set-option",
        "-t",
        f"={viewer}:",
        "status-left",
        f"[{session}] ",
        ";",
        "select-window",
        "-t",
        f"={viewer}:={window}",
        ";",
        "attach-session",
        "-t",
        f"={viewer}",
        *flags,
    ]


def parse_target(value: str) -> tuple[str, str | None]:
    """Split and validate `session[:window]`."""
    session, sep, window = value.partition(":")
    validate_name(session, "session")
    if not sep:
        return session, None
    return session, validate_name(window, "window")


def tmux_target(value: str) -> str:
    """The exact-match tmux form of a target (`=s:=w`): no prefix or pattern matching."""
    session, window = parse_target(value)
    return f"={session}:" if window is None else f"={session}:={window}"


def tmux_arg(word: str) -> str:
    """Protect a word's trailing ";", which tmux would take for a command separator."""
    # tmux strips a final ";" and turns a backslash just before it into the ";" itself.
    return word[:-1] + "\\;" if word.endswith(";") else word


def validate_env(env: Mapping[str, str]) -> dict[str, str]:
    """Check environment names and values; return a plain dict copy."""
    out: dict[str, str] = {}
    for key, value in env.items():
        if not _ENV_KEY_RE.fullmatch(key):
            raise InvalidName(f"invalid environment variable name: {key!r}")
        if "\x00" in value:
            raise InvalidName(f"environment variable {key} holds a NUL byte")
        out[key] = value
    return out


def validate_keys(keys: Sequence[str]) -> list[str]:
    """Check tmux key names (Enter, C-c, Escape, digits...)."""
    for key in keys:
        if not _KEY_RE.fullmatch(key):
            raise InvalidName(f"invalid key name: {key!r}")
    return list(keys)


def tmux_quote(value: str) -> str:
    """Quote one word for a tmux command file: nothing inside is expanded."""
    # Double quotes with escapes: inside single quotes tmux drops the indentation that
    # follows a newline; here every character, newline and whitespace included, survives.
    out = ['"']
    for char in value:
        if char in '\\"$':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\{ord(char):03o}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def tmux_script(commands: Sequence[Sequence[str]]) -> bytes:
    """A tmux command file (for `source-file -`) holding one command sequence, every word quoted.

    The commands are joined by `;` on one line: tmux stops a sequence at its first error, so
    a `new-session` that finds the session already made (another viewer was quicker) does
    not go on to add windows to that session.
    """
    words = [" ".join(tmux_quote(word) for word in command) for command in commands]
    return (" ; ".join(words) + "\n").encode()


def wait_until(check: Callable[[], object], timeout: float, interval: float = 0.05) -> bool:
    """Poll a zero-argument callable until it returns truthy or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


class Runtime(ABC):
    """Tmux sessions for the projects of each user; blocking (wrap in asyncio.to_thread)."""

    kind: str = "abstract"

    @abstractmethod
    def workspace(self, username: str) -> Path:
        """The root of the user's tree on the host (reach it only through core.files)."""

    @abstractmethod
    def ensure_user(self, username: str) -> None:
        """Make the user's environment exist and run (socket dir; docker: the container)."""

    @abstractmethod
    def user_is_up(self, username: str) -> bool:
        """Whether the user's environment runs (tmux server / container)."""

    @abstractmethod
    def stop_user(self, username: str) -> None:
        """Stop the user's environment; its sessions end. Idempotent."""

    @abstractmethod
    def remove_user(self, username: str) -> None:
        """Stop and delete the user's environment (never the user's files). Idempotent."""

    @abstractmethod
    def availability(self) -> Availability:
        """A cheap check that this runtime can work (for doctor and health)."""

    @abstractmethod
    def create_session(
        self,
        username: str,
        session: str,
        *,
        window: str,
        command: Sequence[str] | None,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        cols: int = 200,
        rows: int = 50,
    ) -> None:
        """Start a detached session whose first window runs command (None: a login shell)."""

    @abstractmethod
    def new_window(
        self,
        username: str,
        session: str,
        *,
        window: str,
        command: Sequence[str] | None,
        cwd: Path,
        env: Mapping[str, str] | None = None,
    ) -> None:
        """Add a window to a session."""

    @abstractmethod
    def has_session(self, username: str, session: str) -> bool:
        """Whether the session exists."""

    @abstractmethod
    def has_window(self, username: str, session: str, window: str) -> bool:
        """Whether the window exists in the session."""

    @abstractmethod
    def list_sessions(self, username: str) -> list[str]:
        """Names of the user's sessions (empty when nothing runs)."""

    @abstractmethod
    def list_windows(self, username: str, session: str) -> list[str]:
        """Names of the session's windows."""

    @abstractmethod
    def send_text(self, username: str, target: str, text: str) -> None:
        """Type text literally (no key names, no Enter)."""

    @abstractmethod
    def send_keys(self, username: str, target: str, *keys: str) -> None:
        """Press named keys: Enter, C-c, Escape, C-u, digits..."""

    @abstractmethod
    def paste(self, username: str, target: str, text: str) -> None:
        """Paste text as one bracketed paste (multi-line prompts)."""

    @abstractmethod
    def capture(self, username: str, target: str, *, history: int = 0, escapes: bool = False) -> str:
        """The pane's screen, plus `history` lines of scrollback, optionally with colours."""

    @abstractmethod
    def pane_info(self, username: str, target: str) -> PaneInfo:
        """Liveness, exit status, command and size of the pane."""

    @abstractmethod
    def resize(self, username: str, target: str, *, cols: int, rows: int) -> None:
        """Set the window size (the program sees SIGWINCH)."""

    @abstractmethod
    def kill_session(self, username: str, session: str) -> None:
        """End the session and its processes. Idempotent."""

    @abstractmethod
    def kill_window(self, username: str, target: str) -> None:
        """End one window. Idempotent."""

    @abstractmethod
    def attach_argv(
        self, username: str, session: str, *, window: str | None = None, readonly: bool = False
    ) -> list[str]:
        """The argv of a terminal client attached to the session (run it on a pty).

        With a window, the client sees that window through a session of its own grouped with
        the project's (ended when the client goes), so viewers of different windows of the
        same project do not switch each other's window."""

    @abstractmethod
    def runtime_path(self, username: str, path: Path) -> str:
        """The path as processes in the user's sessions see it (for argv and env values)."""

    @abstractmethod
    def prepare_dir(self, username: str, path: Path) -> str:
        """Make a directory in the user's tree usable by their sessions; its runtime path."""

    @abstractmethod
    def run(
        self,
        username: str,
        argv: Sequence[str],
        *,
        cwd: Path,
        timeout: float,
        env: Mapping[str, str] | None = None,
        stdin: bytes = b"",
    ) -> CommandResult:
        """Run one command to its end in the user's environment, as their sessions' user
        (an argument list, never a shell string), killed after `timeout` seconds.

        For one-off jobs the platform does for the user (a clone); docker: `docker exec` in
        their container; local: a process of the service user, like their tmux sessions."""

    @abstractmethod
    def idle_seconds(self, username: str) -> float | None:
        """Seconds since the user's sessions last showed activity; None when not up."""

    def stop_idle_users(self, max_idle_seconds: float) -> list[str]:
        """Stop environments idle for longer than that; return their usernames."""
        return []

    @abstractmethod
    def dial(self, username: str, address: str, port: int) -> Dialed:
        """A connection to a loopback port of the user's environment (the preview's channel):
        the host's loopback under the local runtime, the container's own through `docker exec`."""

    @abstractmethod
    def session_processes(self, username: str, session: str, *, sample: float = 0.25) -> list[ProcessInfo]:
        """The processes of the session (its panes' processes and all their descendants),
        CPU use sampled over `sample` seconds; empty when the session does not run."""

    @abstractmethod
    def stop_process(self, username: str, session: str, pid: int, *, grace: float = 3.0) -> StopResult:
        """TERM a process of the session, KILL it after `grace` seconds; "term", "kill" or
        "gone". Raises ProcessNotFound for a pid that is not the session's."""

    @abstractmethod
    def process_output(self, username: str, session: str, pid: int, *, lines: int) -> tuple[ProcessInfo, str]:
        """A process of the session and the last lines of the window it runs in the foreground
        of. Raises ProcessNotFound when it is not the session's or has no window of its own."""


class TmuxRuntime(Runtime):
    """The tmux logic shared by every runtime; subclasses say how to reach tmux."""

    history_limit: int = DEFAULT_HISTORY_LIMIT

    # -- the one place tmux is called ------------------------------------------------------

    @abstractmethod
    def _tmux(
        self, username: str, args: Sequence[str], *, stdin: bytes | None = None, secrets: Sequence[str] = ()
    ) -> TmuxResult:
        """Run one tmux client for the user (argument list, socket flag added) and return."""

    @abstractmethod
    def _workdir(self, username: str, cwd: Path) -> str:
        """The directory as tmux sees it (checked to be inside the user's workspace)."""

    def prepare_dir(self, username: str, path: Path) -> str:
        """Create the directory (owned by the sessions' user) and return its runtime path."""
        return self._workdir(username, path)

    @staticmethod
    def _check_argv(argv: Sequence[str], secrets: Sequence[str]) -> None:
        """Refuse to issue an argv holding a secret value (they travel on stdin or env only)."""
        for value in secrets:
            if len(value) >= 4 and any(value in word for word in argv):
                raise CommandFailed("refusing to put an environment value on a command line")

    def _checked(
        self, username: str, args: Sequence[str], *, stdin: bytes | None = None, secrets: Sequence[str] = ()
    ) -> TmuxResult:
        """Run tmux; map its errors to domain exceptions."""
        result = self._tmux(username, args, stdin=stdin, secrets=secrets)
        if result.returncode != 0:
            raise self._error(result, args[0] if args else "tmux")
        return result

    @staticmethod
    def _error(result: TmuxResult, what: str) -> RuntimeErrorBase:
        err = result.stderr.strip()
        if any(
            marker in err
            for marker in (
                "can't find",
                "no server running",
                "error connecting to",
                "session not found",
                "no such session",
                "no current",
            )
        ):
            return SessionNotFound(err or what)
        if err.startswith("duplicate session"):
            return SessionExists(err)
        return CommandFailed(f"tmux {what} failed", returncode=result.returncode, stderr=err)

    def _server_options(self) -> list[list[str]]:
        # Applied with every session creation (the server may have just started): pane death
        # stays visible, windows keep the names we give them, scrollback is deep.
        return [
            ["set-option", "-g", "remain-on-exit", "on"],
            ["set-option", "-g", "history-limit", str(self.history_limit)],
            ["set-option", "-g", "allow-rename", "off"],
            ["set-option", "-g", "automatic-rename", "off"],
            ["set-option", "-g", "default-terminal", "screen-256color"],
            ["set-option", "-g", "escape-time", "10"],
            ["set-option", "-g", "exit-empty", "on"],
        ]

    @staticmethod
    def _command_words(command: Sequence[str] | None) -> list[str]:
        if command is None:
            return []  # tmux starts the default shell as a login shell
        words = list(command)
        if not words or any("\x00" in w for w in words):
            raise InvalidName("command must be a non-empty list of arguments")
        if len(words) == 1:
            # A single word would go through `sh -c`; `env --` execs it as an argv instead.
            if "=" in words[0]:
                raise InvalidName("a single-word command cannot contain '='")
            words = ["env", "--", words[0]]
        return ["--", *words]

    @staticmethod
    def _env_words(values: Mapping[str, str]) -> list[str]:
        words: list[str] = []
        for key, value in values.items():
            words += ["-e", f"{key}={value}"]
        return words

    def _run_script(self, username: str, commands: Sequence[Sequence[str]], secrets: Sequence[str]) -> None:
        # The commands reach the server through the client's stdin (`source-file -`), so
        # environment values never sit on any command line nor in any file.
        script = tmux_script(commands)
        for attempt in range(SERVER_EXIT_RETRIES):
            result = self._tmux(username, ["start-server", ";", "source-file", "-"], stdin=script, secrets=secrets)
            # The user's last session just ended and their server was exiting as we connected
            # (tmux exits when empty): nothing of the script ran; a new server takes it.
            if result.returncode == 0 or "server exited unexpectedly" not in result.stderr:
                break
            time.sleep(0.05 * (attempt + 1))
        if result.returncode != 0:
            raise self._error(result, commands[-1][0] if commands else "source-file")

    # -- sessions and windows ------------------------------------------------------------

    def create_session(
        self,
        username: str,
        session: str,
        *,
        window: str,
        command: Sequence[str] | None,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        cols: int = 200,
        rows: int = 50,
    ) -> None:
        """Start a detached session whose first window runs command (None: a login shell)."""
        validate_name(username, "username")
        validate_name(session, "session")
        validate_name(window, "window")
        _check_size(cols, rows)
        values = validate_env(env or {})
        if window == _PLACEHOLDER:
            raise InvalidName(f"window name {_PLACEHOLDER} is reserved")
        self.ensure_user(username)
        workdir = self._workdir(username, cwd)
        size = ["-x", str(cols), "-y", str(rows), "-c", workdir]
        if not values:
            script = [["new-session", "-d", "-s", session, "-n", window, *size, *self._command_words(command)]]
        else:
            # `new-session -e` would keep the values in the session's environment, where
            # every later window and `show-environment` see them: open the session on a
            # placeholder and give the values to the one window that needs them.
            script = [
                ["new-session", "-d", "-s", session, "-n", _PLACEHOLDER, *size, "--", "sleep", "600"],
                [
                    "new-window",
                    "-d",
                    "-t",
                    f"={session}:",
                    "-n",
                    window,
                    "-c",
                    workdir,
                    *self._env_words(values),
                    *self._command_words(command),
                ],
                ["kill-window", "-t", f"={session}:={_PLACEHOLDER}"],
                ["move-window", "-r", "-t", f"={session}:"],  # the window gets index 0 back
            ]
        self._run_script(username, [*self._server_options(), *script], list(values.values()))
        logger.info(
            "session created",
            extra={"user": username, "session": session, "window": window, "env_keys": sorted(values)},
        )

    def new_window(
        self,
        username: str,
        session: str,
        *,
        window: str,
        command: Sequence[str] | None,
        cwd: Path,
        env: Mapping[str, str] | None = None,
    ) -> None:
        """Add a window to a session."""
        validate_name(username, "username")
        validate_name(window, "window")
        values = validate_env(env or {})
        workdir = self._workdir(username, cwd)
        if self.has_window(username, session, window):
            raise SessionExists(f"window {window} already exists in {session}")
        words = [
            "new-window",
            "-d",
            "-t",
            tmux_target(session),
            "-n",
            window,
            "-c",
            workdir,
            *self._env_words(values),
            *self._command_words(command),
        ]
        self._run_script(username, [words], list(values.values()))
        logger.info(
            "window created", extra={"user": username, "session": session, "window": window, "env_keys": sorted(values)}
        )

    def has_session(self, username: str, session: str) -> bool:
        """Whether the session exists."""
        validate_name(session, "session")
        return self._tmux(username, ["has-session", "-t", f"={session}"]).returncode == 0

    def has_window(self, username: str, session: str, window: str) -> bool:
        """Whether the window exists in the session."""
        validate_name(window, "window")
        try:
            return window in self.list_windows(username, session)
        except SessionNotFound:
            return False

    def list_sessions(self, username: str) -> list[str]:
        """Names of the user's sessions (empty when nothing runs)."""
        result = self._tmux(username, ["list-sessions", "-F", "#{session_name}"])
        if result.returncode != 0:
            if isinstance(self._error(result, "list-sessions"), SessionNotFound) or "no sessions" in result.stderr:
                return []
            raise self._error(result, "list-sessions")
        return [line for line in result.stdout.splitlines() if line and VIEWER_MARK not in line]

    def list_windows(self, username: str, session: str) -> list[str]:
        """Names of the session's windows."""
        result = self._checked(username, ["list-windows", "-t", f"={validate_name(session)}:", "-F", "#{window_name}"])
        return [line for line in result.stdout.splitlines() if line]

    def kill_session(self, username: str, session: str) -> None:
        """End the session, its viewers' sessions and its processes. Idempotent."""
        validate_name(session, "session")
        listed = self._tmux(username, ["list-sessions", "-F", "#{session_name}"])
        viewers = [
            name
            for name in listed.stdout.splitlines()
            if listed.returncode == 0 and name.startswith(f"{session}{VIEWER_MARK}")
        ]
        for viewer in viewers:
            self._tmux(username, ["kill-session", "-t", f"={viewer}"])
        result = self._tmux(username, ["kill-session", "-t", f"={session}"])
        if result.returncode != 0 and not isinstance(self._error(result, "kill-session"), SessionNotFound):
            raise self._error(result, "kill-session")

    def kill_window(self, username: str, target: str) -> None:
        """End one window. Idempotent."""
        session, window = parse_target(target)
        if window is None:
            raise InvalidName("kill_window needs a session:window target")
        result = self._tmux(username, ["kill-window", "-t", tmux_target(target)])
        if result.returncode != 0 and not isinstance(self._error(result, "kill-window"), SessionNotFound):
            raise self._error(result, "kill-window")

    # -- input ---------------------------------------------------------------------------

    def send_text(self, username: str, target: str, text: str) -> None:
        """Type text literally (no key names, no Enter)."""
        if "\x00" in text:
            raise InvalidName("text holds a NUL byte")
        tt = tmux_target(target)
        for start in range(0, len(text), _SEND_CHUNK):
            self._checked(username, ["send-keys", "-t", tt, "-l", "--", tmux_arg(text[start : start + _SEND_CHUNK])])

    def send_keys(self, username: str, target: str, *keys: str) -> None:
        """Press named keys: Enter, C-c, Escape, C-u, digits..."""
        if not keys:
            return
        self._checked(
            username, ["send-keys", "-t", tmux_target(target), "--", *(tmux_arg(key) for key in validate_keys(keys))]
        )

    def paste(self, username: str, target: str, text: str) -> None:
        """Paste text as one bracketed paste (multi-line prompts)."""
        tt = tmux_target(target)
        # Check the target first so a failed paste never leaves a buffer behind.
        self.pane_info(username, target)
        buffer = f"autocode-{uuid.uuid4().hex[:12]}"
        self._checked(username, ["load-buffer", "-b", buffer, "-"], stdin=text.encode())
        try:
            self._checked(username, ["paste-buffer", "-p", "-d", "-b", buffer, "-t", tt])
        except RuntimeErrorBase:
            self._tmux(username, ["delete-buffer", "-b", buffer])
            raise

    # -- output --------------------------------------------------------------------------

    def capture(self, username: str, target: str, *, history: int = 0, escapes: bool = False) -> str:
        """The pane's screen, plus `history` lines of scrollback, optionally with colours."""
        if history < 0:
            raise ValueError("history must be >= 0")
        args = ["capture-pane", "-p", "-t", tmux_target(target)]
        if history:
            args += ["-S", f"-{history}"]
        if escapes:
            args.append("-e")
        return self._checked(username, args).stdout

    def pane_info(self, username: str, target: str) -> PaneInfo:
        """Liveness, exit status, command, cursor and size of the pane."""
        # list-panes, not display-message: display-message falls back to another pane
        # when the target is missing.
        fmt = "\t".join(
            [
                "#{pane_dead}",
                "#{pane_dead_status}",
                "#{pane_dead_signal}",
                "#{pane_pid}",
                "#{pane_width}",
                "#{pane_height}",
                "#{pane_active}",
                "#{pane_current_command}",
            ]
        )
        result = self._checked(username, ["list-panes", "-t", tmux_target(target), "-F", fmt])
        lines = [line for line in result.stdout.splitlines() if line]
        if not lines:
            raise SessionNotFound(f"no pane in {target}")
        chosen = next((line for line in lines if line.split("\t")[6] == "1"), lines[0])
        dead, status, signal, pid, width, height, _active, command = chosen.split("\t", 7)
        if dead == "1" and not status and not signal:
            # tmux 3.3a now and then misses the SIGCHLD of a pane's process: it stays a zombie,
            # how it ended unknown, until another child of the server exits. A no-op
            # background job is such a child; the next look finds the status.
            self._tmux(username, ["run-shell", "-b", "true"])
        return PaneInfo(
            dead=dead == "1",
            dead_status=int(status) if status.lstrip("-").isdigit() else None,
            dead_signal=int(signal) if signal.isdigit() else None,
            current_command=command,
            width=int(width),
            height=int(height),
            pid=int(pid) if pid.isdigit() and dead != "1" else None,
        )

    def resize(self, username: str, target: str, *, cols: int, rows: int) -> None:
        """Set the window size (the program sees SIGWINCH)."""
        _check_size(cols, rows)
        self._checked(username, ["resize-window", "-t", tmux_target(target), "-x", str(cols), "-y", str(rows)])

    # -- processes -----------------------------------------------------------------------

    @abstractmethod
    def _proc_snapshot(self, username: str, roots: Sequence[int], sample: float) -> object:
        """runtime/proc_collect.snapshot run where the user's processes are."""

    @abstractmethod
    def _proc_stop(self, username: str, pid: int, start_ticks: int, grace: float) -> str:
        """runtime/proc_collect.stop run where the user's processes are."""

    def _panes(self, username: str, session: str) -> list[procs.Pane]:
        validate_name(session, "session")
        listed = self._tmux(
            username, ["list-panes", "-s", "-t", f"={session}:", "-F", "#{pane_id}\t#{pane_pid}\t#{window_id}"]
        )
        if listed.returncode != 0:
            error = self._error(listed, "list-panes")
            if isinstance(error, SessionNotFound):
                return []
            raise error
        windows = self._tmux(username, ["list-windows", "-t", f"={session}:", "-F", "#{window_id}\t#{window_name}"])
        return procs.parse_panes(listed.stdout, windows.stdout if windows.returncode == 0 else "")

    def session_processes(self, username: str, session: str, *, sample: float = 0.25) -> list[ProcessInfo]:
        """The processes of the session; empty when the session does not run."""
        panes = self._panes(username, session)
        if not panes:
            return []
        raw = self._proc_snapshot(username, [pane.pid for pane in panes], sample)
        try:
            return procs.session_processes(raw, panes)
        except procs.SnapshotError as exc:
            raise CommandFailed(f"process list: {exc}") from exc

    def _session_process(self, username: str, session: str, pid: int) -> ProcessInfo:
        found = procs.find(self.session_processes(username, session, sample=0), pid)
        if found is None:
            raise ProcessNotFound(f"no process {pid} in session {session}")
        return found

    def stop_process(self, username: str, session: str, pid: int, *, grace: float = 3.0) -> StopResult:
        """TERM a process of the session, KILL it after `grace` seconds."""
        found = self._session_process(username, session, pid)
        answer = self._proc_stop(username, found.pid, found.start_ticks, grace)
        result = procs.STOP_RESULTS.get(answer)
        if result is None:
            raise CommandFailed(f"stopping a process answered {answer[:40]!r}")
        logger.info("process stopped", extra={"user": username, "session": session, "pid": pid, "result": result})
        return result

    def process_output(self, username: str, session: str, pid: int, *, lines: int) -> tuple[ProcessInfo, str]:
        """The process and the last lines of the window it runs in the foreground of."""
        if not 1 <= lines <= 5000:
            raise ValueError("lines must be between 1 and 5000")
        found = self._session_process(username, session, pid)
        if found.pane_id is None:
            raise NoOwnWindow(f"process {pid} has no window of its own")
        text = self._checked(username, ["capture-pane", "-p", "-J", "-t", found.pane_id, "-S", f"-{lines}"]).stdout
        kept = text.rstrip("\n").split("\n")
        return found, "\n".join(kept[-lines:])

    def _session_activity(self, username: str) -> float | None:
        """Latest activity time (epoch seconds) over the user's sessions, if any runs."""
        result = self._tmux(username, ["list-sessions", "-F", "#{session_activity}"])
        if result.returncode != 0:
            return None
        stamps = [int(x) for x in result.stdout.split() if x.isdigit()]
        return float(max(stamps)) if stamps else None


def _check_size(cols: int, rows: int) -> None:
    if not (10 <= cols <= 1000 and 5 <= rows <= 500):
        raise ValueError(f"terminal size out of range: {cols}x{rows}")
