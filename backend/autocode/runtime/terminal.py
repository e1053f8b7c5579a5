"""A terminal client (`tmux attach`) on a pty, bridged to a WebSocket by the caller.

Each viewer gets its own attach client, so tmux does the multiplexing and the repainting:
when a viewer stops reading, we stop reading its pty (bounded buffer), tmux notices the
client is behind, drops its backlog and repaints later. Memory stays flat.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import pty
import signal
import struct
import termios
from collections.abc import Sequence
from contextlib import suppress

log = logging.getLogger(__name__)

READ_CHUNK = 65536
MAX_QUEUED_CHUNKS = 32  # ~2 MiB at most per viewer before reading pauses
MAX_FRAME = 256 * 1024
# Output pacing: at most FRAME_BYTES are read per FRAME_SECONDS. During a flood the attach
# client then falls behind and tmux skips ahead (it drops the backlog and repaints the screen),
# which costs everyone less than relaying every byte to a viewer that cannot read that fast.
# A keystroke's echo arrives after a quiet spell and is never held back.
FRAME_SECONDS = 1 / 60
FRAME_BYTES = 64 * 1024  # ~4 MB/s per viewer at most, far more than a screen a frame
CLIENT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class TerminalLimitReached(Exception):
    """The user already has as many terminals open as allowed."""


def _set_size(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


# `setsid --ctty` makes the client a session leader whose controlling terminal is the pty,
# so a resize reaches tmux as SIGWINCH (and works under uvloop, which refuses preexec_fn).
SETSID = ["setsid", "--ctty"]


class PtyClient:
    """One attach client on a pty: read its output, write input, resize, close."""

    def __init__(self, proc: asyncio.subprocess.Process, master_fd: int, owner: str) -> None:
        self.proc = proc
        self.fd = master_fd
        self.owner = owner
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._reading = False
        self._eof = False
        self._closed = False
        self._window_start = 0.0
        self._window_bytes = 0
        self._paced = False
        self._resume_reading()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _resume_reading(self) -> None:
        if not self._reading and not self._paced and not self._eof and not self._closed:
            self._loop.add_reader(self.fd, self._on_readable)
            self._reading = True

    def _pause_reading(self) -> None:
        if self._reading:
            self._loop.remove_reader(self.fd)
            self._reading = False

    def _on_readable(self) -> None:
        try:
            data = os.read(self.fd, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:  # EIO: the client exited and the pty is gone
            data = b""
        if not data:
            self._eof = True
            self._pause_reading()
            self._queue.put_nowait(b"")
            return
        self._queue.put_nowait(data)
        if self._queue.qsize() >= MAX_QUEUED_CHUNKS:
            self._pause_reading()  # backpressure: the viewer is slower than the output
            return
        now = self._loop.time()
        if now - self._window_start >= FRAME_SECONDS:
            self._window_start = now
            self._window_bytes = 0
        self._window_bytes += len(data)
        if self._window_bytes >= FRAME_BYTES:
            self._paced = True
            self._pause_reading()
            self._loop.call_at(self._window_start + FRAME_SECONDS, self._end_window)

    def _end_window(self) -> None:
        self._paced = False
        self._window_start = self._loop.time()
        self._window_bytes = 0
        if self._queue.qsize() < MAX_QUEUED_CHUNKS // 2:
            self._resume_reading()

    async def read(self) -> bytes | None:
        """The next output (coalesced up to one frame), or None once the client exited."""
        data = await self._queue.get()
        if not data:
            return None
        parts = [data]
        size = len(data)
        while size < MAX_FRAME and not self._queue.empty():
            more = self._queue.get_nowait()
            if not more:
                self._queue.put_nowait(b"")  # keep the end marker for the next call
                break
            parts.append(more)
            size += len(more)
        if self._queue.qsize() < MAX_QUEUED_CHUNKS // 2:
            self._resume_reading()
        return b"".join(parts) if len(parts) > 1 else data

    async def write(self, data: bytes) -> None:
        """Type bytes into the terminal, waiting when the pty's input buffer is full."""
        view = memoryview(data)
        while view and not self._closed:
            try:
                written = os.write(self.fd, view)
                view = view[written:]
            except BlockingIOError:
                ready: asyncio.Future[None] = self._loop.create_future()

                def _wake(fut: asyncio.Future[None] = ready) -> None:
                    if not fut.done():
                        fut.set_result(None)

                self._loop.add_writer(self.fd, _wake)
                try:
                    await asyncio.wait_for(ready, timeout=5)
                finally:
                    self._loop.remove_writer(self.fd)
            except OSError:
                return

    def resize(self, cols: int, rows: int) -> None:
        if not self._closed:
            _set_size(self.fd, cols, rows)

    async def close(self, grace: float = 1.0) -> None:
        """Stop the client gradually (HUP, TERM, KILL) and reap it; the session lives on."""
        if self._closed:
            return
        self._pause_reading()
        self._closed = True
        for sig in (signal.SIGHUP, signal.SIGTERM, signal.SIGKILL):
            if self.proc.returncode is not None:
                break
            with suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.proc.wait(), timeout=grace)
        with suppress(OSError):
            os.close(self.fd)
        log.debug("terminal closed", extra={"pid": self.proc.pid, "user": self.owner})


class TerminalManager:
    """Owns every attach client the server runs, with a cap per user."""

    def __init__(self, *, per_user: int) -> None:
        self.per_user = per_user
        self._clients: set[PtyClient] = set()
        self._starting: dict[str, int] = {}

    def count(self, owner: str) -> int:
        """Open terminals of `owner`, counting those still starting."""
        return sum(1 for c in self._clients if c.owner == owner) + self._starting.get(owner, 0)

    @property
    def clients(self) -> frozenset[PtyClient]:
        return frozenset(self._clients)

    async def open(self, owner: str, argv: Sequence[str], *, cols: int, rows: int) -> PtyClient:
        """Start `argv` on a new pty of the given size."""
        # Check and reserve with no await in between: concurrent opens cannot all pass the check.
        if self.count(owner) >= self.per_user:
            raise TerminalLimitReached(f"at most {self.per_user} terminals per user")
        self._starting[owner] = self._starting.get(owner, 0) + 1
        try:
            return await self._start(owner, argv, cols=cols, rows=rows)
        finally:
            self._starting[owner] -= 1
            if not self._starting[owner]:
                del self._starting[owner]

    async def _start(self, owner: str, argv: Sequence[str], *, cols: int, rows: int) -> PtyClient:
        master, slave = pty.openpty()
        try:
            _set_size(master, cols, rows)
            os.set_blocking(master, False)
            proc = await asyncio.create_subprocess_exec(
                *SETSID,
                *argv,
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env={"TERM": "xterm-256color", "LANG": "C.UTF-8", "PATH": CLIENT_PATH},
            )
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        client = PtyClient(proc, master, owner)
        self._clients.add(client)
        log.info("terminal opened", extra={"user": owner, "pid": proc.pid})
        return client

    async def release(self, client: PtyClient) -> None:
        self._clients.discard(client)
        await client.close()

    async def close_all(self) -> None:
        await asyncio.gather(*(self.release(c) for c in list(self._clients)))
