"""The embedded default runtime: tmux on the host, one server (and socket) per user."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from autocode.core import files
from autocode.core.layout import Layout
from autocode.runtime import proc_collect
from autocode.runtime.base import (
    Availability,
    CommandFailed,
    CommandResult,
    Dialed,
    RuntimeUnavailable,
    TmuxResult,
    TmuxRuntime,
    check_loopback,
    keep_tail,
    tree_rel,
    validate_env,
    validate_name,
    viewer_commands,
)

logger = logging.getLogger(__name__)

# sockaddr_un.sun_path is 108 bytes including the NUL; keep a margin.
_MAX_SOCKET_PATH = 100
_MIN_TMUX = (3, 2)  # new-session -e and source-file from stdin


def tmux_version(tmux_bin: str = "tmux") -> tuple[int, int] | None:
    """The (major, minor) version of a tmux binary, or None when it does not run."""
    try:
        out = subprocess.run([tmux_bin, "-V"], capture_output=True, text=True, timeout=5, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"(\d+)\.(\d+)", out)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _private_dir(path: Path) -> Path:
    """Create a 0700 directory owned by us; refuse one someone else controls."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise RuntimeUnavailable(f"{path} is not a directory we own")
    if stat.S_IMODE(info.st_mode) != 0o700:
        path.chmod(0o700)
    return path


class LocalRuntime(TmuxRuntime):
    """tmux on the host; users are separated by their own tmux server and socket."""

    kind = "local"

    def __init__(self, *, data_dir: Path, tmux_bin: str = "tmux", timeout: float = 15.0) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.tmux_bin = shutil.which(tmux_bin) or tmux_bin
        self.timeout = timeout

    # -- paths ---------------------------------------------------------------------------

    def workspace(self, username: str) -> Path:
        """The user's directory on the host."""
        return Layout(self.data_dir).user_dir(validate_name(username, "username"))

    def socket_path(self, username: str) -> Path:
        """The user's tmux socket: under the data dir, or a short private dir when too long."""
        validate_name(username, "username")
        path = Layout(self.data_dir).tmux_socket(username)
        if len(os.fsencode(path)) <= _MAX_SOCKET_PATH:
            return path
        digest = hashlib.sha256(os.fsencode(self.data_dir)).hexdigest()[:10]
        return Path("/tmp") / f"autocode-{os.geteuid()}" / digest / f"{username}.sock"

    def runtime_path(self, username: str, path: Path) -> str:
        """The same absolute path (checked, lexically, to be inside the user's workspace)."""
        root = self.workspace(username)
        return str(root.joinpath(*tree_rel(root, path).parts))

    def _workdir(self, username: str, cwd: Path) -> str:
        root = self.workspace(username)
        rel = tree_rel(root, cwd)
        files.ensure_root(root)
        files.Tree(root).ensure_dir(rel)
        return str(root.joinpath(*rel.parts))

    def _client_env(self) -> dict[str, str]:
        # The first client starts the user's server and its environment becomes the global
        # environment of every pane: give it only the basics, never the server's own secrets.
        home = os.environ.get("HOME", "/root" if os.geteuid() == 0 else "/tmp")
        shell = next((s for s in ("/bin/bash", "/bin/sh") if os.path.exists(s)), "/bin/sh")
        return {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "HOME": home,
            "SHELL": shell,
            "LANG": "C.UTF-8",
            "USER": os.environ.get("USER", "root" if os.geteuid() == 0 else "autocode"),
        }

    # -- the one place tmux is called ----------------------------------------------------

    def _tmux(
        self, username: str, args: Sequence[str], *, stdin: bytes | None = None, secrets: Sequence[str] = ()
    ) -> TmuxResult:
        sock = self.socket_path(username)
        argv = [self.tmux_bin, "-S", str(sock), "-f", "/dev/null", *args]
        self._check_argv(argv, secrets)
        started = time.monotonic()
        try:
            proc = subprocess.run(
                argv,
                input=stdin if stdin is not None else b"",
                capture_output=True,
                env=self._client_env(),
                timeout=self.timeout,
                check=False,
            )
        except FileNotFoundError as exc:
            raise RuntimeUnavailable(f"tmux not found: {self.tmux_bin}") from exc
        except subprocess.TimeoutExpired as exc:
            raise CommandFailed(f"tmux {args[0] if args else ''} timed out") from exc
        result = TmuxResult(
            proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
        )
        logger.debug(
            "tmux call",
            extra={
                "user": username,
                "argv": [w[:60] for w in list(args)[:6]],
                "rc": result.returncode,
                "ms": round((time.monotonic() - started) * 1000, 1),
            },
        )
        return result

    # -- users ---------------------------------------------------------------------------

    def ensure_user(self, username: str) -> None:
        """Make the user's workspace and socket directory exist."""
        files.ensure_root(self.workspace(username))
        _private_dir(self.socket_path(username).parent)

    def user_is_up(self, username: str) -> bool:
        """Whether the user's tmux server answers."""
        if not self.socket_path(username).exists():
            return False
        return self._tmux(username, ["list-sessions"]).returncode == 0

    def stop_user(self, username: str) -> None:
        """Kill the user's tmux server (all their sessions). Idempotent."""
        if self.socket_path(username).exists():
            self._tmux(username, ["kill-server"])
            logger.info("user stopped", extra={"user": username})

    def remove_user(self, username: str) -> None:
        """Kill the user's tmux server and remove its socket. Idempotent."""
        self.stop_user(username)
        self.socket_path(username).unlink(missing_ok=True)

    def availability(self) -> Availability:
        """Whether a recent enough tmux is installed."""
        version = tmux_version(self.tmux_bin)
        if version is None:
            return Availability(False, self.kind, f"tmux not found ({self.tmux_bin})")
        if version < _MIN_TMUX:
            return Availability(
                False, self.kind, f"tmux {version[0]}.{version[1]} is too old (need {_MIN_TMUX[0]}.{_MIN_TMUX[1]})"
            )
        return Availability(True, self.kind, f"tmux {version[0]}.{version[1]}")

    def attach_argv(
        self, username: str, session: str, *, window: str | None = None, readonly: bool = False
    ) -> list[str]:
        """`tmux -S <socket> attach-session -t =session [-r]` (or a viewer of one window)."""
        return [
            self.tmux_bin,
            "-S",
            str(self.socket_path(username)),
            *viewer_commands(session, window, readonly=readonly),
        ]

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
        """A process of the service user (what the user's tmux sessions run as), in a process
        group of its own with the sessions' basic environment, killed at the deadline."""
        words = list(argv)
        if not words or any("\x00" in w for w in words):
            raise CommandFailed("command must be a non-empty list of arguments")
        values = validate_env(env or {})
        self.ensure_user(username)
        workdir = self._workdir(username, cwd)
        try:
            proc = subprocess.Popen(
                words,
                cwd=workdir,
                env={**self._client_env(), **values},
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise CommandFailed(f"{words[0]} could not start", stderr=str(exc)) from exc
        output = bytearray()

        def drain() -> None:
            stream = proc.stdout
            assert stream is not None
            while chunk := os.read(stream.fileno(), 65536):
                keep_tail(output, chunk)

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        assert proc.stdin is not None
        try:
            proc.stdin.write(stdin)
        except OSError:
            pass
        finally:
            try:
                proc.stdin.close()
            except OSError:
                pass
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            proc.wait(timeout=10)
        reader.join(timeout=10)
        logger.info("command run", extra={"user": username, "argv0": words[0], "rc": proc.returncode})
        return CommandResult(
            124 if timed_out else proc.returncode, bytes(output).decode("utf-8", "replace"), timed_out=timed_out
        )

    def idle_seconds(self, username: str) -> float | None:
        """Seconds since the user's sessions last showed activity; None when none runs."""
        if not self.socket_path(username).exists():
            return None
        last = self._session_activity(username)
        return None if last is None else max(0.0, time.time() - last)

    def dial(self, username: str, address: str, port: int) -> Dialed:
        """A TCP connection to the host's loopback (the caller checked the port is the session's)."""
        validate_name(username, "username")
        try:
            sock = socket.create_connection((check_loopback(address, port), port), timeout=self.timeout)
        except OSError as exc:
            raise CommandFailed(f"cannot connect to port {port}", stderr=str(exc)) from exc
        return Dialed(sock, framed=False)

    # -- processes: the session's processes are the server's user's own, on this host ------

    def _proc_snapshot(self, username: str, roots: Sequence[int], sample: float) -> object:
        return proc_collect.snapshot(list(roots), sample)

    def _proc_stop(self, username: str, pid: int, start_ticks: int, grace: float) -> str:
        return proc_collect.stop(pid, start_ticks, grace)
