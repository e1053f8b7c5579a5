"""Run the real Claude Code CLI in an isolated tmux server, for tests and screen captures.

Each :class:`TmuxClaude` owns one tmux server on its own socket (``tmux -S``) with one
session; :meth:`TmuxClaude.kill` ends the server and removes the socket. Waiting is done by
polling with a deadline (:func:`wait_until`), never by sleeping a guessed time.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / "tools" / "claude-code" / "node_modules" / ".bin" / "claude"
EXIT_MARK = "[autocode-test: claude exited rc="

T = TypeVar("T")


def wait_until(probe: Callable[[], T], timeout: float, *, interval: float = 0.05, what: str = "condition") -> T:
    """Poll ``probe`` until it returns something truthy; raise TimeoutError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        got = probe()
        if got:
            return got
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class TmuxClaude:
    """One isolated tmux server running one Claude Code process in one pane."""

    def __init__(self, socket: Path, *, width: int = 120, height: int = 40) -> None:
        self.socket = socket
        self.width = width
        self.height = height
        self.session = "cc"

    def tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-u", "-S", str(self.socket), "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            check=check,
            timeout=10,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"},
        )

    def start(self, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path) -> None:
        """Start ``argv`` under ``env -i`` in a fresh session; the pane outlives the process."""
        full_env = {"TERM": "tmux-256color", "LANG": "C.UTF-8", "PATH": "/usr/local/bin:/usr/bin:/bin", **env}
        inner = " ".join(shlex.quote(a) for a in argv)
        # The wrapper keeps the pane (and its last screen) after Claude Code exits.
        script = f'{inner}; echo "{EXIT_MARK}$?]"; exec sleep 86400'
        cmd = ["env", "-i", *(f"{k}={v}" for k, v in full_env.items()), "sh", "-c", script]
        self.tmux(
            "new-session", "-d", "-s", self.session, "-x", str(self.width), "-y", str(self.height), "-c", str(cwd), *cmd
        )

    def capture(self) -> str:
        """The visible screen, plain text, trailing blank lines dropped."""
        out = self.tmux("capture-pane", "-p", "-t", self.session).stdout
        return out.rstrip("\n") + "\n"

    def send_text(self, text: str) -> None:
        self.tmux("send-keys", "-t", self.session, "-l", text)

    def send_keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.session, *keys)

    def submit(self, text: str) -> None:
        """Type a prompt and press Enter in a separate call (Enter is swallowed otherwise)."""
        self.send_text(text)
        wait_until(lambda: text[-20:] in self.capture().replace("\n", ""), 5, what="typed text echoed")
        self.send_keys("Enter")

    def wait_screen(self, probe: Callable[[str], bool], timeout: float = 15, what: str = "screen") -> str:
        def check() -> str:
            s = self.capture()
            return s if probe(s) else ""

        try:
            return wait_until(check, timeout, what=what)
        except TimeoutError as e:
            raise TimeoutError(f"{e}\n--- screen ---\n{self.capture()}") from None

    def pids(self) -> list[int]:
        """The pane's process and all its descendants (the CLI, its shells, running hooks)."""
        out = self.tmux("list-panes", "-a", "-F", "#{pane_pid}", check=False).stdout.split()
        roots = {int(p) for p in out if p.isdigit()}
        children: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        found: list[int] = []
        todo = list(roots)
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found

    def kill(self, timeout: float = 5.0) -> None:
        """Kill the tmux server and wait for the CLI to finish its exit work (hooks, config
        writes), so a caller can delete the directories it used."""
        pids = self.pids()
        self.tmux("kill-server", check=False)
        try:
            self.socket.unlink()
        except FileNotFoundError:
            pass

        def alive() -> list[int]:
            return [p for p in pids if Path(f"/proc/{p}").exists() and not _zombie(p)]

        try:
            wait_until(lambda: not alive(), timeout, what="pane processes to exit")
        except TimeoutError:
            for pid in alive():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


__all__ = ["CLI", "EXIT_MARK", "REPO", "TmuxClaude", "wait_until"]
