"""How the server learns that another process committed: a wake-up, never the data itself.

Supervisors write their rows to the database and then poke the server; the server reads what is
new. Today the poke is a datagram on a Unix socket in a host-only folder of the data directory
(``run/server/``, 0700, the server's own place: no user can reach it). A supervisor in a sandbox on
another host will send the same poke over its outbound connection instead: only :class:`Sender`
and :class:`Receiver` change.

A poke carries nothing to trust: its bytes are ignored, and the worst a stray one does is an early
read. Sending never blocks and never raises (server down, queue full: the server's safety poll
catches up).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# sockaddr_un holds 108 bytes; longer paths are reached through the folder's descriptor.
_MAX_SUN_PATH = 107
_DRAIN = 256
_POKE = b"1"


class Sender(Protocol):
    """The supervisor's side: tell the server something was committed."""

    def send(self) -> None:
        """Never blocks, never raises."""


class Receiver(Protocol):
    """The server's side: call `on_wake` (on the event loop) whenever a poke arrives."""

    def start(self, loop: asyncio.AbstractEventLoop, on_wake: Callable[[], None]) -> None: ...

    def close(self) -> None: ...


def _address(path: Path) -> tuple[str, int | None]:
    """A sockaddr for `path`, through /proc/self/fd/N when the path is too long (N: returned, to close)."""
    if len(os.fsencode(path)) <= _MAX_SUN_PATH:
        return str(path), None
    fd = os.open(path.parent, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    return f"/proc/self/fd/{fd}/{path.name}", fd


class DatagramSender:
    """A non-blocking datagram to the server's socket."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sock: socket.socket | None = None

    def send(self) -> None:
        fd: int | None = None
        try:
            if self._sock is None:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                sock.setblocking(False)
                self._sock = sock
            address, fd = _address(self.path)
            self._sock.sendto(_POKE, address)
        except OSError:
            pass  # no server, or its queue is full: it reads everything new on its next wake anyway
        finally:
            if fd is not None:
                os.close(fd)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


class DatagramReceiver:
    """The server's socket: bound in a folder only the service user can enter."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self, loop: asyncio.AbstractEventLoop, on_wake: Callable[[], None]) -> None:
        folder = self.path.parent
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if folder.is_symlink() or not folder.is_dir():
            raise OSError(f"{folder} is not a folder")
        folder.chmod(0o700)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # a previous server's, or one that died
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        sock.setblocking(False)
        address, fd = _address(self.path)
        try:
            sock.bind(address)
        except OSError:
            sock.close()
            raise
        finally:
            if fd is not None:
                os.close(fd)
        self.path.chmod(0o600)
        self._sock = sock
        self._loop = loop

        def readable() -> None:
            got = False
            for _ in range(_DRAIN):  # bounded; the rest wakes us again
                try:
                    sock.recv(64)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break
                got = True
            if got:
                on_wake()

        loop.add_reader(sock.fileno(), readable)

    def close(self) -> None:
        if self._sock is None:
            return
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self._sock.fileno())
        self._sock.close()
        self._sock = None
        with contextlib.suppress(OSError):
            self.path.unlink()


_on_commit: weakref.WeakKeyDictionary[Engine, list[Callable[[], None]]] = weakref.WeakKeyDictionary()
_installed = False


def _after_commit(session: Session) -> None:
    bind = session.bind
    engine = bind if isinstance(bind, Engine) else getattr(bind, "engine", None)
    if engine is None:
        return
    for callback in _on_commit.get(engine, ()):
        try:
            callback()
        except Exception:  # a poke must never turn a commit into an error
            log.exception("commit callback failed")


def on_commit(engine: Engine, callback: Callable[[], None]) -> None:
    """Call `callback` after every ORM session commit on `engine` (in the committing thread)."""
    global _installed
    if not _installed:
        event.listen(Session, "after_commit", _after_commit)
        _installed = True
    _on_commit.setdefault(engine, []).append(callback)


def off_commit(engine: Engine, callback: Callable[[], None]) -> None:
    """Undo :func:`on_commit`."""
    callbacks = _on_commit.get(engine)
    if callbacks and callback in callbacks:
        callbacks.remove(callback)
