"""What a waiting supervisor sleeps on: changes in a few folders, and a poke.

A supervisor reads nothing and runs nothing while nothing happens: it blocks in ``poll()`` on one
inotify descriptor and a pipe until a watched folder changes (Claude Code's hook events, its
transcript, the server's replies and instructions), a signal pokes the pipe, or its own timer is
due. inotify comes from ``inotify_simple`` (a thin ctypes wrapper of the system calls).

Folders in the user's tree are opened through core.files (every component ``O_NOFOLLOW``: a
link is refused, never followed) and the watch is put on that very descriptor through
``/proc/self/fd/N`` with ``IN_ONLYDIR``: the kernel resolves that magic link to the opened folder
itself and looks no name up again, so a folder swapped for a link between the open and the
watch cannot redirect it. (``IN_DONT_FOLLOW`` cannot be used there: it would name the
``/proc`` link itself, which is not a folder.) After every change, and whenever asked, each
folder is opened again and compared by (device, inode): a folder moved away or replaced is
watched again at its place, or not at all while its place is refused (a link, say). A watch
only wakes the supervisor: what it reads then still goes through core.files.

Without inotify (no instance left for this user, say) every source counts as unwatched, and
the caller polls it on its timer as before.
"""

from __future__ import annotations

import errno
import logging
import os
import select
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from inotify_simple import INotify, flags, parse_events

from autocode.core.files import FileError, Tree

log = logging.getLogger(__name__)

#: A file written, made or moved in; the folder itself moved or removed (then it is re-opened).
_MASK = flags.MODIFY | flags.CREATE | flags.MOVED_TO | flags.MOVE_SELF | flags.DELETE_SELF | flags.ONLYDIR
_SELF = flags.MOVE_SELF | flags.DELETE_SELF | flags.IGNORED | flags.UNMOUNT

Opener = Callable[[], AbstractContextManager[int]]


@contextmanager
def _host_dir(path: Path) -> Iterator[int]:
    """A folder of the server's own (the run dir), opened without following a link."""
    try:
        fd = os.open(path, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        raise FileError(f"{path.name}: {os.strerror(exc.errno or errno.EIO)}") from None
    try:
        yield fd
    finally:
        os.close(fd)


@dataclass
class _Watch:
    key: str
    open: Opener
    names: frozenset[str] | None  # only these entries wake (None: any entry)
    wd: int | None = None
    ident: tuple[int, int] | None = None  # (st_dev, st_ino) of the folder watched


class Wakeup:
    """Watches on a few folders, each under a key; ``wait`` says which keys changed."""

    def __init__(self) -> None:
        self._watches: dict[str, _Watch] = {}
        self._by_wd: dict[int, list[_Watch]] = {}
        self._pending: set[str] = set()
        self._revalidate = False
        self._read_fd, self._write_fd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._inotify: INotify | None
        try:
            self._inotify = INotify(nonblocking=True)
        except OSError as exc:
            log.warning("no inotify; polling instead", extra={"error": str(exc)})
            self._inotify = None
        self._poll = select.poll()
        self._poll.register(self._read_fd, select.POLLIN)
        if self._inotify is not None:
            self._poll.register(self._inotify.fileno(), select.POLLIN)

    # -- what is watched ---------------------------------------------------------------------

    def watch_tree(self, key: str, tree: Tree, rel: PurePosixPath, names: frozenset[str] | None = None) -> None:
        """Watch a folder of the user's tree (replacing what ``key`` watched before)."""
        self._set(_Watch(key, lambda: tree.dir_fd(rel), names))

    def watch_host(self, key: str, path: Path, names: frozenset[str] | None = None) -> None:
        """Watch one of the server's own folders."""
        self._set(_Watch(key, lambda: _host_dir(path), names))

    def forget(self, key: str) -> None:
        old = self._watches.pop(key, None)
        if old is not None:
            self._unwatch(old)

    def watched(self, key: str) -> bool:
        """Whether ``key`` is watched now (if not, the caller polls it)."""
        w = self._watches.get(key)
        return w is not None and w.wd is not None

    def _set(self, watch: _Watch) -> None:
        self.forget(watch.key)
        self._watches[watch.key] = watch
        self._attach(watch)

    def _attach(self, w: _Watch) -> None:
        """(Re)open the folder at its place and watch that very folder; unwatched when refused."""
        if self._inotify is None:
            return
        try:
            with w.open() as fd:
                info = os.fstat(fd)
                ident = (info.st_dev, info.st_ino)
                if ident == w.ident and w.wd is not None:
                    return
                self._unwatch(w)
                wd = self._inotify.add_watch(f"/proc/self/fd/{fd}", _MASK)
        except (FileError, OSError):
            self._unwatch(w)
            return
        w.wd, w.ident = wd, ident
        self._by_wd.setdefault(wd, []).append(w)
        self._pending.add(w.key)  # what changed before the watch existed is read once

    def _unwatch(self, w: _Watch) -> None:
        if w.wd is None:
            return
        sharing = self._by_wd.get(w.wd, [])
        if w in sharing:
            sharing.remove(w)
        if not sharing:
            self._by_wd.pop(w.wd, None)
            if self._inotify is not None:
                try:
                    self._inotify.rm_watch(w.wd)
                except OSError:
                    pass  # already gone with its folder
        w.wd, w.ident = None, None

    def revalidate(self) -> None:
        """Open every folder again at its place; watch what is there now."""
        self._revalidate = False
        for w in list(self._watches.values()):
            self._attach(w)

    # -- waiting -------------------------------------------------------------------------------

    def poke(self) -> None:
        """Wake ``wait`` (safe from a signal handler)."""
        try:
            os.write(self._write_fd, b"!")
        except OSError:
            pass  # the pipe is full: a wake-up is pending anyway

    def wait(self, timeout: float) -> set[str]:
        """Block up to ``timeout`` seconds for a change or a poke; the keys that changed."""
        if not self._pending and not self._revalidate and timeout > 0:
            try:
                self._poll.poll(max(0, int(timeout * 1000 + 0.999)))
            except InterruptedError:
                pass
        return self.drain()

    def drain(self) -> set[str]:
        """The keys changed since the last call, without blocking."""
        try:
            while os.read(self._read_fd, 512):
                pass
        except BlockingIOError:
            pass
        if self._inotify is not None:
            try:
                data = os.read(self._inotify.fileno(), 65536)
            except BlockingIOError:
                data = b""
            while data:
                self._events(data)
                try:
                    data = os.read(self._inotify.fileno(), 65536)
                except BlockingIOError:
                    data = b""
        if self._revalidate:
            self.revalidate()
        changed, self._pending = self._pending, set()
        return changed

    def _events(self, data: bytes) -> None:
        for event in parse_events(data):
            if event.wd == -1:  # the queue overflowed: anything may have changed
                self._pending.update(self._watches)
                self._revalidate = True
                continue
            for w in self._by_wd.get(event.wd, []):
                if event.mask & _SELF:
                    self._revalidate = True
                    self._pending.add(w.key)
                elif w.names is None or event.name in w.names:
                    self._pending.add(w.key)
                    self._revalidate = True  # re-check the place of a folder that changed
            if event.mask & flags.IGNORED:
                for w in self._by_wd.pop(event.wd, []):
                    w.wd, w.ident = None, None

    def watched_inodes(self) -> list[int]:
        """The inodes the kernel watches for this instance (read from /proc, for tests)."""
        if self._inotify is None:
            return []
        text = Path(f"/proc/self/fdinfo/{self._inotify.fileno()}").read_text()
        return [
            int(word[4:], 16)
            for line in text.splitlines()
            if line.startswith("inotify ")
            for word in line.split()
            if word.startswith("ino:")
        ]

    def close(self) -> None:
        if self._inotify is not None:
            self._inotify.close()
            self._inotify = None
        for fd in (self._read_fd, self._write_fd):
            try:
                os.close(fd)
            except OSError:
                pass
