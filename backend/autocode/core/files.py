"""The one safe file layer for a user's tree: the only way the host touches ``users/{u}/``.

The user controls everything in their tree and may swap any folder for a link at any moment,
so every operation walks from the tree's root with directory file descriptors, opening each
component with ``O_NOFOLLOW`` (a link anywhere is refused, never followed), works on regular
files only, creates temporary files under random names with ``O_EXCL``, renames within one
directory descriptor, and stops at byte, entry and time limits. Paths are relative to the
tree; ``..``, ``.``, empty and NUL components are refused before any system call.

Python has no ``openat2``; per-component ``O_NOFOLLOW`` gives the same guarantee here
(``RESOLVE_NO_SYMLINKS`` beneath a descriptor) at one system call per component.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import secrets
import shutil
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

MAX_COMPONENT_BYTES = 255
MAX_PATH_BYTES = 4096
MAX_DEPTH = 64

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
_NEW_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


_PROTECTED: set[Path] = set()


def protect(*paths: Path) -> None:
    """Never open these server files through a user's tree (a hard link to them included)."""
    _PROTECTED.update(Path(p) for p in paths)


def _check_not_protected(fd: int, name: str | None = None) -> None:
    """Refuse one of the server's own files: by name before opening it (closing a descriptor
    of the database would drop SQLite's locks), by descriptor after."""
    info = os.fstat(fd) if name is None else os.stat(name, dir_fd=fd, follow_symlinks=False)
    for path in _PROTECTED:
        try:
            own = os.stat(path, follow_symlinks=False)
        except OSError:
            continue
        if (own.st_dev, own.st_ino) == (info.st_dev, info.st_ino):
            raise Refused("that file is one of the server's own")


class FileError(Exception):
    """Base of the refusals; the message names no host path and is safe to show a user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Refused(FileError):
    """A link, a non-regular file, a forbidden or overlong name."""


class Missing(FileError):
    """No such file or folder (or a file where a folder was expected)."""


class TooLarge(FileError):
    """A byte, entry or time limit was reached."""


class Exists(FileError):
    """Something already has that name (and replacing it was not asked for)."""


class Changed(FileError):
    """The file is not the version the caller expected (someone changed it meanwhile)."""


def parse_rel(path: str | PurePosixPath) -> PurePosixPath:
    """A user-given path ('a/b', '/a/b', '' for the top) as a clean relative path."""
    text = str(path)
    if "\x00" in text:
        raise Refused("Invalid path")
    if len(os.fsencode(text)) > MAX_PATH_BYTES:
        raise Refused("Path is too long")
    parts = [p for p in text.split("/") if p not in ("", ".")]
    for part in parts:
        if part == "..":
            raise Refused("Path leaves its folder")
        if len(os.fsencode(part)) > MAX_COMPONENT_BYTES:
            raise Refused("A name in the path is too long")
    return PurePosixPath(*parts)


def _check(rel: PurePosixPath | str) -> PurePosixPath:
    path = PurePosixPath(rel)
    if path.is_absolute():
        raise Refused("Path must be relative")
    return parse_rel(path)


def _translate(exc: OSError, what: str) -> FileError:
    if exc.errno == errno.ELOOP:
        return Refused(f"{what}: links are not followed")
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return Missing(f"No such file or folder: {what}")
    if exc.errno == errno.ENAMETOOLONG:
        return Refused("A name in the path is too long")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return Refused(f"{what}: permission denied")
    return Refused(f"{what}: {os.strerror(exc.errno or errno.EIO)}")


def _open_dir(parent_fd: int | None, name: str | Path) -> int:
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
    except OSError as exc:
        if exc.errno == errno.ENOTDIR and _is_link(parent_fd, name):
            raise Refused(f"{Path(name).name}: links are not followed") from None
        raise _translate(exc, Path(name).name if parent_fd is None else str(name)) from None


def _is_link(parent_fd: int | None, name: str | Path) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=parent_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


@dataclass(frozen=True)
class Limits:
    """How much one walk may cover before it stops with TooLarge."""

    max_entries: int = 20_000
    max_bytes: int = 200_000_000
    max_seconds: float = 20.0


@dataclass(frozen=True)
class Entry:
    name: str
    kind: str  # "dir" | "file" | "link" | "other"
    size: int


@dataclass(frozen=True)
class WalkedFile:
    """A regular file met by :meth:`Tree.walk`; open it with :meth:`Tree.open_walked`."""

    path: PurePosixPath  # relative to the walk's start
    size: int
    mode: int
    dir_fd: int  # valid only while the walk is at this file
    name: str


class Tree:
    """A user's tree (``users/{u}/``), opened without following links anywhere below it.

    ``root``'s parents are the server's own folders; the root itself is opened with
    ``O_NOFOLLOW`` so a user who replaced their tree with a link is refused too.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # -- directories -------------------------------------------------------------------------

    @contextmanager
    def dir_fd(
        self,
        rel: PurePosixPath | str = "",
        *,
        create: bool = False,
        mode: int = 0o700,
        owner: tuple[int, int] | None = None,
    ) -> Iterator[int]:
        """A descriptor of the folder ``rel`` (made, and handed to ``owner``, when ``create``)."""
        path = _check(rel)
        fd = _open_dir(None, self.root)
        try:
            for part in path.parts:
                if create:
                    try:
                        os.mkdir(part, mode, dir_fd=fd)
                    except FileExistsError:
                        pass
                    except OSError as exc:
                        raise _translate(exc, part) from None
                child = _open_dir(fd, part)
                os.close(fd)
                fd = child
                if create and owner is not None:
                    _own(fd, owner)
            yield fd
        finally:
            os.close(fd)

    def ensure_dir(self, rel: PurePosixPath | str, *, mode: int = 0o700, owner: tuple[int, int] | None = None) -> None:
        """Make ``rel`` and its parents (refusing links); ``owner`` gets each component."""
        with self.dir_fd(rel, create=True, mode=mode, owner=owner):
            pass

    def is_dir(self, rel: PurePosixPath | str = "") -> bool:
        try:
            with self.dir_fd(rel):
                return True
        except Missing:
            return False

    def list(self, rel: PurePosixPath | str = "", *, limit: int = 2000) -> list[Entry]:
        """The folder's entries (at most ``limit``), links reported as links, never followed."""
        entries: list[Entry] = []
        with self.dir_fd(rel) as fd, os.scandir(fd) as it:
            for item in it:
                entries.append(_entry(item))
                if len(entries) >= limit:
                    break
        return entries

    # -- files -------------------------------------------------------------------------------

    @contextmanager
    def _parent(
        self, rel: PurePosixPath | str, *, create: bool = False, owner: tuple[int, int] | None = None
    ) -> Iterator[tuple[int, str]]:
        path = _check(rel)
        if not path.parts:
            raise Refused("A file name is needed")
        with self.dir_fd(path.parent, create=create, owner=owner) as fd:
            yield fd, path.name

    def lstat(self, rel: PurePosixPath | str) -> os.stat_result | None:
        """The entry's own status (a link is not followed), None when missing."""
        try:
            with self._parent(rel) as (fd, name):
                return os.stat(name, dir_fd=fd, follow_symlinks=False)
        except Missing:
            return None
        except FileNotFoundError:
            return None

    def read(self, rel: PurePosixPath | str, *, limit: int, offset: int = 0) -> tuple[bytes, int]:
        """Up to ``limit`` bytes of a regular file from ``offset``, and the file's size."""
        data, info = self.read_stat(rel, limit=limit, offset=offset)
        return data, info.st_size

    def read_stat(self, rel: PurePosixPath | str, *, limit: int, offset: int = 0) -> tuple[bytes, os.stat_result]:
        """Like :meth:`read`, with the status of the very file that was read."""
        with self._parent(rel) as (fd, name):
            return _read_at(fd, name, limit=limit, offset=offset)

    def open_read(self, rel: PurePosixPath | str) -> int:
        """A read descriptor of a regular file (no link followed); the caller closes it."""
        with self._parent(rel) as (fd, name):
            try:
                _check_not_protected(fd, name)
                out = os.open(name, _FILE_FLAGS, dir_fd=fd)
            except OSError as exc:
                raise _translate(exc, name) from None
        try:
            if not stat.S_ISREG(os.fstat(out).st_mode):
                raise Refused(f"{name}: not a regular file")
            _check_not_protected(out)
        except BaseException:
            os.close(out)
            raise
        return out

    def read_text(self, rel: PurePosixPath | str, *, limit: int = 1_000_000) -> str:
        data, _ = self.read(rel, limit=limit)
        return data.decode("utf-8", "replace")

    def write(
        self,
        rel: PurePosixPath | str,
        data: bytes | str,
        *,
        mode: int = 0o600,
        owner: tuple[int, int] | None = None,
        replace: bool = True,
        exact_mode: bool = False,
        expect: Callable[[os.stat_result | None], None] | None = None,
    ) -> None:
        """Replace the file atomically (random ``O_EXCL`` temp, rename in the same folder).

        Whatever was at the name (a file, a link) is replaced, never written through. With
        ``replace=False`` an existing name is refused (Exists) at the rename itself; ``expect``
        sees what is at the name (its own status, or None) just before the rename and may
        refuse by raising. ``exact_mode`` sets ``mode`` as given (the umask left out).
        """
        body = data.encode() if isinstance(data, str) else data

        def fill(out: int) -> None:
            view = memoryview(body)
            while view:
                view = view[os.write(out, view) :]

        self._replace(rel, fill, mode=mode, owner=owner, replace=replace, expect=expect, exact_mode=exact_mode)

    def write_from(
        self,
        rel: PurePosixPath | str,
        source: BinaryIO,
        *,
        limit: int,
        mode: int = 0o600,
        owner: tuple[int, int] | None = None,
        replace: bool = True,
        exact_mode: bool = False,
    ) -> int:
        """:meth:`write` from a readable stream, refused (TooLarge) past ``limit`` bytes;
        answers the number of bytes written."""
        written = 0

        def fill(out: int) -> None:
            nonlocal written
            while chunk := source.read(1 << 20):
                written += len(chunk)
                if written > limit:
                    raise TooLarge(f"{PurePosixPath(str(rel)).name}: larger than {limit} bytes")
                view = memoryview(chunk)
                while view:
                    view = view[os.write(out, view) :]

        self._replace(rel, fill, mode=mode, owner=owner, replace=replace, expect=None, exact_mode=exact_mode)
        return written

    def _replace(
        self,
        rel: PurePosixPath | str,
        fill: Callable[[int], None],
        *,
        mode: int,
        owner: tuple[int, int] | None,
        replace: bool,
        expect: Callable[[os.stat_result | None], None] | None,
        exact_mode: bool = False,
    ) -> None:
        with self._parent(rel, create=True, owner=owner) as (fd, name):
            tmp = f".{name[:200]}.{secrets.token_hex(8)}.tmp"
            try:
                out = os.open(tmp, _NEW_FLAGS, mode, dir_fd=fd)
            except OSError as exc:
                raise _translate(exc, name) from None
            try:
                try:
                    fill(out)
                    if exact_mode:
                        os.fchmod(out, mode & 0o777)
                    if owner is not None:
                        os.fchown(out, *owner)
                finally:
                    os.close(out)
                if expect is not None:
                    try:
                        current: os.stat_result | None = os.stat(name, dir_fd=fd, follow_symlinks=False)
                    except FileNotFoundError:
                        current = None
                    expect(current)
                if replace:
                    try:
                        os.rename(tmp, name, src_dir_fd=fd, dst_dir_fd=fd)
                    except OSError as exc:
                        raise _translate(exc, name) from None
                else:
                    _rename_noreplace(fd, tmp, fd, name)
            except BaseException:
                try:
                    os.unlink(tmp, dir_fd=fd)
                except OSError:
                    pass
                raise

    def mkdir(self, rel: PurePosixPath | str, *, mode: int = 0o755, owner: tuple[int, int] | None = None) -> None:
        """Make one new folder (its parents as needed); Exists when the name is taken."""
        with self._parent(rel, create=True, owner=owner) as (fd, name):
            try:
                os.mkdir(name, mode, dir_fd=fd)
            except FileExistsError:
                raise Exists(f"{name} already exists") from None
            except OSError as exc:
                raise _translate(exc, name) from None
            if owner is not None:
                os.chown(name, *owner, dir_fd=fd, follow_symlinks=False)

    def rename(
        self,
        src: PurePosixPath | str,
        dst: PurePosixPath | str,
        *,
        replace: bool = False,
        owner: tuple[int, int] | None = None,
    ) -> None:
        """Move ``src`` (a file, a folder, or a link itself) to ``dst`` inside the tree.

        Both names are reached through directory descriptors without following a link; the
        destination's folders are made as needed. An existing ``dst`` is refused (Exists)
        unless ``replace``; a folder is never moved into itself.
        """
        old, new = _check(src), _check(dst)
        if not old.parts or not new.parts:
            raise Refused("The top folder cannot be moved")
        if new == old:
            return
        if new.parts[: len(old.parts)] == old.parts:
            raise Refused("A folder cannot be moved into itself")
        with self._parent(old) as (src_fd, src_name):
            try:
                os.stat(src_name, dir_fd=src_fd, follow_symlinks=False)
            except OSError as exc:
                raise _translate(exc, src_name) from None
            with self._parent(new, create=True, owner=owner) as (dst_fd, dst_name):
                self._move(src_fd, src_name, dst_fd, dst_name, replace=replace)

    @staticmethod
    def _move(src_fd: int, src_name: str, dst_fd: int, dst_name: str, *, replace: bool) -> None:
        if not replace:
            _rename_noreplace(src_fd, src_name, dst_fd, dst_name)
            return
        try:
            os.rename(src_name, dst_name, src_dir_fd=src_fd, dst_dir_fd=dst_fd)
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.EISDIR, errno.ENOTDIR):
                raise Exists(f"{dst_name} already exists and cannot be replaced") from None
            raise _translate(exc, dst_name) from None

    def remove(self, rel: PurePosixPath | str) -> bool:
        """Remove a file, a link (not its target) or a whole folder; False when missing or
        reachable only through a link."""
        try:
            with self._parent(rel) as (fd, name):
                try:
                    info = os.stat(name, dir_fd=fd, follow_symlinks=False)
                except FileNotFoundError:
                    return False
                if stat.S_ISDIR(info.st_mode):
                    # The descriptor-based rmtree: never leaves `fd`, never follows a link.
                    shutil.rmtree(name, dir_fd=fd)
                else:
                    os.unlink(name, dir_fd=fd)
                return True
        except (Missing, Refused):
            return False  # missing, or only reachable through a link: nothing to remove

    # -- walking -------------------------------------------------------------------------------

    def walk(
        self,
        rel: PurePosixPath | str = "",
        *,
        limits: Limits = Limits(),
        skip: frozenset[str] = frozenset(),
        exclude: Callable[[PurePosixPath, bool], bool] | None = None,
    ) -> Iterator[WalkedFile]:
        """Every regular file below ``rel`` (links and special files skipped), in name order.

        ``skip`` names top-level entries left out; ``exclude(path, is_dir)`` prunes any
        entry (path relative to ``rel``). Raises TooLarge past ``limits``.
        """
        budget = _Budget(limits)
        with self.dir_fd(rel) as fd:
            yield from _walk(fd, PurePosixPath(), budget, skip, exclude, 0)

    @staticmethod
    def open_walked(item: WalkedFile) -> int:
        """A read descriptor of a walked file (still a regular file, still not a link)."""
        _check_not_protected(item.dir_fd, item.name)
        out = os.open(item.name, _FILE_FLAGS, dir_fd=item.dir_fd)
        try:
            if not stat.S_ISREG(os.fstat(out).st_mode):
                raise Refused(f"{item.path}: not a regular file")
            _check_not_protected(out)
        except BaseException:
            os.close(out)
            raise
        return out

    def chown_tree(self, rel: PurePosixPath | str, owner: tuple[int, int], *, limits: Limits = Limits()) -> None:
        """Give ``rel`` and everything below it to ``owner`` (links themselves, not targets),
        stopping quietly at ``limits``."""
        budget = _Budget(limits)
        with self.dir_fd(rel, create=True, owner=owner) as fd:
            _own(fd, owner)
            try:
                _chown_below(fd, owner, budget, 0)
            except TooLarge:
                pass  # best effort past the limits: what the server wrote sits near the top


class _Budget:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.entries = 0
        self.bytes = 0
        self.deadline = time.monotonic() + limits.max_seconds

    def entry(self) -> None:
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise TooLarge(f"more than {self.limits.max_entries} files and folders")
        if self.entries % 256 == 0 and time.monotonic() > self.deadline:
            raise TooLarge(f"took longer than {self.limits.max_seconds:g} s")

    def add_bytes(self, size: int) -> None:
        self.bytes += size
        if self.bytes > self.limits.max_bytes:
            raise TooLarge(f"more than {self.limits.max_bytes // 1_000_000} MB")
        if time.monotonic() > self.deadline:
            raise TooLarge(f"took longer than {self.limits.max_seconds:g} s")


def _entry(item: os.DirEntry[str]) -> Entry:
    try:
        info = item.stat(follow_symlinks=False)
    except OSError:
        return Entry(item.name, "other", 0)
    if stat.S_ISLNK(info.st_mode):
        return Entry(item.name, "link", 0)
    if stat.S_ISDIR(info.st_mode):
        return Entry(item.name, "dir", 0)
    if stat.S_ISREG(info.st_mode):
        return Entry(item.name, "file", info.st_size)
    return Entry(item.name, "other", 0)


def _walk(
    fd: int,
    prefix: PurePosixPath,
    budget: _Budget,
    skip: frozenset[str],
    exclude: Callable[[PurePosixPath, bool], bool] | None,
    depth: int,
) -> Iterator[WalkedFile]:
    if depth > MAX_DEPTH:
        raise TooLarge(f"folders nested deeper than {MAX_DEPTH}")
    with os.scandir(fd) as it:
        entries = []
        for item in it:
            if depth == 0 and item.name in skip:
                continue
            if exclude is not None and exclude(prefix / item.name, item.is_dir(follow_symlinks=False)):
                continue
            entries.append(item)
            budget.entry()
    entries.sort(key=lambda e: e.name)
    for item in entries:
        try:
            info = item.stat(follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISDIR(info.st_mode):
            try:
                child = _open_dir(fd, item.name)
            except FileError:
                continue  # swapped for a link since the listing: skipped
            try:
                yield from _walk(child, prefix / item.name, budget, skip, exclude, depth + 1)
            finally:
                os.close(child)
        elif stat.S_ISREG(info.st_mode):
            budget.add_bytes(info.st_size)
            yield WalkedFile(prefix / item.name, info.st_size, info.st_mode, fd, item.name)


def _chown_below(fd: int, owner: tuple[int, int], budget: _Budget, depth: int) -> None:
    """This folder's entries first, then each subfolder: shallow files (the server's) go first."""
    if depth > MAX_DEPTH:
        return
    with os.scandir(fd) as it:
        names = [(item.name, item.is_dir(follow_symlinks=False)) for item in it]
    for name, _ in names:
        budget.entry()
        try:
            info = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if (info.st_uid, info.st_gid) != owner:
                os.chown(name, *owner, dir_fd=fd, follow_symlinks=False)
        except OSError:
            continue
    for name, is_dir in names:
        if not is_dir:
            continue
        try:
            child = _open_dir(fd, name)
        except FileError:
            continue
        try:
            _chown_below(child, owner, budget, depth + 1)
        finally:
            os.close(child)


def _own(fd: int, owner: tuple[int, int]) -> None:
    info = os.fstat(fd)
    if (info.st_uid, info.st_gid) != owner:
        os.fchown(fd, *owner)


def _read_at(dir_fd: int, name: str, *, limit: int, offset: int) -> tuple[bytes, os.stat_result]:
    try:
        _check_not_protected(dir_fd, name)
        fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        raise _translate(exc, name) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"{name}: not a regular file")
        _check_not_protected(fd)
        chunks: list[bytes] = []
        left = max(0, limit)
        pos = max(0, offset)
        while left > 0:
            chunk = os.pread(fd, min(left, 1 << 20), pos)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
            pos += len(chunk)
        return b"".join(chunks), info
    finally:
        os.close(fd)


_RENAME_NOREPLACE = 1


def _renameat2() -> Callable[..., int] | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    call: Callable[..., int] = fn
    return call


_RENAMEAT2 = _renameat2()


def _rename_noreplace(src_fd: int, src: str, dst_fd: int, dst: str) -> None:
    """rename(2) that refuses an existing destination in the same system call (Exists)."""
    if _RENAMEAT2 is not None:
        if _RENAMEAT2(src_fd, os.fsencode(src), dst_fd, os.fsencode(dst), _RENAME_NOREPLACE) == 0:
            return
        err = ctypes.get_errno()
        if err == errno.EEXIST:
            raise Exists(f"{dst} already exists")
        if err not in (errno.ENOSYS, errno.EINVAL):
            raise _translate(OSError(err, os.strerror(err)), dst)
    # No renameat2 here (an old kernel or file system): check, then rename. The window
    # between the two only lets the user's own process replace their own file.
    try:
        os.stat(dst, dir_fd=dst_fd, follow_symlinks=False)
    except FileNotFoundError:
        pass
    else:
        raise Exists(f"{dst} already exists")
    try:
        os.rename(src, dst, src_dir_fd=src_fd, dst_dir_fd=dst_fd)
    except OSError as exc:
        raise _translate(exc, dst) from None


def write_own(path: Path, data: bytes | str, *, replace: bool = True, mode: int = 0o600) -> bool:
    """Write one of the server's own files whole: a random ``O_EXCL`` temp in its folder, then a
    rename, so a reader sees the old file or the new one, never a part (no link followed).

    With ``replace=False`` a file already there is kept (made by another process a moment ago):
    answers whether this call wrote it.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        Tree(path.parent).write(path.name, data, mode=mode, replace=replace)
    except Exists:
        return False
    return True


def ensure_root(root: Path, *, mode: int = 0o700) -> None:
    """Make a tree's root folder (its parents are the server's); refuse a link in its place."""
    root.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.mkdir(root, mode)
    except FileExistsError:
        pass
    info = os.lstat(root)
    if not stat.S_ISDIR(info.st_mode):
        raise Refused("workspace root is not a folder")


def remove_root(root: Path) -> None:
    """Remove a tree's root folder and everything in it, never following a link."""
    parent = os.open(root.parent, _DIR_FLAGS)
    try:
        try:
            info = os.stat(root.name, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(info.st_mode):
            shutil.rmtree(root.name, dir_fd=parent)
        else:
            os.unlink(root.name, dir_fd=parent)
    finally:
        os.close(parent)
