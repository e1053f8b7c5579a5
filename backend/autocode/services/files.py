"""A project's workspace from the app: list, read, download; upload, edit, rename, delete.

Everything goes through core.files (no link followed, regular files only) and stops at byte,
entry and time limits; the routes run these off the event loop on a small limiter of their own.
What the app writes belongs to the user's side of the runtime (the container's user under
the docker runtime), so their own tools can change it afterwards.
"""

from __future__ import annotations

import os
import stat
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from autocode.core import files as safe
from autocode.core.layout import project_rel
from autocode.runtime import Runtime
from autocode.services.errors import Conflict, Invalid, NotFound
from autocode.services.workspaces import user_tree
from autocode.supervisor.launch import tree_owner

MAX_READ_BYTES = 1_000_000
MAX_ENTRIES = 2000
ARCHIVE_LIMITS = safe.Limits(max_entries=20_000, max_bytes=500_000_000, max_seconds=60.0)
# What the supervisor kept for itself in older workspaces stays out of listings and downloads.
HIDDEN = frozenset({".git", ".nanobot"})


@dataclass(frozen=True)
class Entry:
    name: str
    path: str
    kind: str  # "dir" | "file"
    size: int


@dataclass(frozen=True)
class FileContent:
    path: str
    size: int
    text: str | None  # None when the file is binary
    truncated: bool
    etag: str = ""  # the version read: hand it back when saving to refuse a lost update


@dataclass(frozen=True)
class Saved:
    path: str
    size: int
    etag: str


@dataclass(frozen=True)
class Upload:
    """One file of an upload: its path below the target folder and its content."""

    path: str
    size: int
    stream: BinaryIO


@dataclass(frozen=True)
class UploadLimits:
    max_file_bytes: int
    max_total_bytes: int
    max_files: int


FILE_MODE = 0o644
DIR_MODE = 0o755


def _rel(path: str) -> PurePosixPath:
    try:
        rel = safe.parse_rel(path.strip())
    except safe.FileError as exc:
        raise Invalid(exc.message) from None
    if rel.parts and rel.parts[0] in HIDDEN:
        raise NotFound("No such file or folder")
    return rel


def list_dir(data_dir: Path, username: str, slug: str, path: str = "") -> list[Entry]:
    rel = _rel(path)
    tree = user_tree(data_dir, username)
    try:
        found = tree.list(project_rel(slug) / rel, limit=MAX_ENTRIES + len(HIDDEN))
    except safe.Missing:
        raise NotFound("No such folder") from None
    except safe.FileError as exc:
        raise Invalid(exc.message) from None
    entries = [
        Entry(e.name, str(rel / e.name), e.kind, e.size)
        for e in found
        if e.kind in ("dir", "file") and not (not rel.parts and e.name in HIDDEN)
    ]
    entries.sort(key=lambda e: (e.kind != "dir", e.name.lower()))
    return entries[:MAX_ENTRIES]


def entry(data_dir: Path, username: str, slug: str, path: str) -> Entry:
    """One file or folder of the workspace, as a listing shows it."""
    rel = _rel(path)
    info = user_tree(data_dir, username).lstat(project_rel(slug) / rel)
    if info is None:
        raise NotFound("No such file or folder")
    kind = "dir" if stat.S_ISDIR(info.st_mode) else "file" if stat.S_ISREG(info.st_mode) else "other"
    return Entry(rel.name, str(rel), kind, info.st_size if kind == "file" else 0)


def read_file(data_dir: Path, username: str, slug: str, path: str) -> FileContent:
    rel = _rel(path)
    if not rel.parts:
        raise Invalid("A file path is needed")
    try:
        data, info = user_tree(data_dir, username).read_stat(project_rel(slug) / rel, limit=MAX_READ_BYTES)
    except safe.Missing:
        raise NotFound("No such file") from None
    except safe.FileError as exc:
        raise Invalid(exc.message) from None
    text = None if b"\x00" in data[:8192] else data.decode("utf-8", "replace")
    return FileContent(str(rel), info.st_size, text, info.st_size > MAX_READ_BYTES, etag_of(info))


def open_file(data_dir: Path, username: str, slug: str, path: str) -> tuple[int, int, str]:
    """A read descriptor of one file of the workspace, its size and its name (caller closes)."""
    rel = _rel(path)
    if not rel.parts:
        raise Invalid("A file path is needed")
    try:
        fd = user_tree(data_dir, username).open_read(project_rel(slug) / rel)
    except safe.Missing:
        raise NotFound("No such file") from None
    except safe.FileError as exc:
        raise Invalid(exc.message) from None
    return fd, os.fstat(fd).st_size, rel.name


def stream(fd: int, size: int) -> Iterator[bytes]:
    """The file's first ``size`` bytes in chunks (what it had when opened), then closes it."""
    try:
        left = size
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        os.close(fd)


def etag_of(info: os.stat_result) -> str:
    """A version tag of a file: every save renames a new inode in, and in-place edits move
    the modification time."""
    return f"{info.st_ino:x}-{info.st_mtime_ns:x}-{info.st_size:x}"


def _name_ok(rel: PurePosixPath, what: str) -> None:
    for part in rel.parts:
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in part):
            raise Invalid(f"{what}: names cannot contain control characters")


def _target(path: str, what: str) -> PurePosixPath:
    """A path the user wants to create or change: relative, clean, not the top, not hidden."""
    if path.strip().startswith("/"):
        raise Invalid(f"{what}: the path must be relative to the workspace")
    try:
        rel = safe.parse_rel(path.strip())
    except safe.FileError as exc:
        raise Invalid(f"{what}: {exc.message}") from None
    if rel.parts and rel.parts[0] in HIDDEN:
        raise Invalid(f"{what}: {rel.parts[0]} is kept by the server")
    if not rel.parts:
        raise Invalid(f"{what}: a name is needed")
    _name_ok(rel, what)
    return rel


def _conflict_or_invalid(exc: safe.FileError) -> Exception:
    if isinstance(exc, safe.Missing):
        return NotFound(exc.message)
    if isinstance(exc, (safe.Exists, safe.Changed)):
        return Conflict(exc.message)
    if isinstance(exc, safe.TooLarge):
        return exc
    return Invalid(exc.message)


def save_text(
    data_dir: Path,
    username: str,
    slug: str,
    path: str,
    text: str,
    *,
    runtime: Runtime,
    etag: str | None,
    overwrite: bool = False,
) -> Saved:
    """Write a text file. With ``etag`` (from reading it) the file must still be that version
    (Conflict otherwise); without, an existing file is refused unless ``overwrite``."""
    rel = _target(path, "Save")
    body = text.encode()
    if len(body) > MAX_READ_BYTES:
        raise safe.TooLarge(f"a text file can be at most {MAX_READ_BYTES} bytes here")
    tree = user_tree(data_dir, username)
    where = project_rel(slug) / rel
    if not tree.is_dir(project_rel(slug)):
        raise NotFound("This project has no workspace on disk")
    before = tree.lstat(where)
    mode = stat.S_IMODE(before.st_mode) if before is not None and stat.S_ISREG(before.st_mode) else FILE_MODE

    def expect(current: os.stat_result | None) -> None:
        if etag is None:
            return
        if current is None:
            raise safe.Changed(f"{rel.name} was deleted since it was opened")
        if not stat.S_ISREG(current.st_mode):
            raise safe.Refused(f"{rel.name} is not a regular file")
        if etag_of(current) != etag:
            raise safe.Changed(f"{rel.name} changed since it was opened; reload it first")

    try:
        tree.write(
            where,
            body,
            mode=mode,
            exact_mode=True,
            owner=tree_owner(runtime),
            replace=etag is not None or overwrite,
            expect=expect,
        )
        after = tree.lstat(where)
    except safe.FileError as exc:
        raise _conflict_or_invalid(exc) from None
    return Saved(str(rel), len(body), etag_of(after) if after is not None else "")


def make_folder(data_dir: Path, username: str, slug: str, path: str, *, runtime: Runtime) -> str:
    rel = _target(path, "New folder")
    tree = user_tree(data_dir, username)
    try:
        tree.mkdir(project_rel(slug) / rel, mode=DIR_MODE, owner=tree_owner(runtime))
    except safe.FileError as exc:
        raise _conflict_or_invalid(exc) from None
    return str(rel)


def delete(data_dir: Path, username: str, slug: str, path: str) -> None:
    """Remove a file or a folder with everything in it (a link itself, never its target)."""
    rel = _target(path, "Delete")
    if not user_tree(data_dir, username).remove(project_rel(slug) / rel):
        raise NotFound("No such file or folder")


def rename(
    data_dir: Path, username: str, slug: str, src: str, dst: str, *, runtime: Runtime, overwrite: bool = False
) -> str:
    """Move a file or folder within the workspace; an existing destination is refused unless
    ``overwrite``."""
    old, new = _target(src, "Rename"), _target(dst, "Rename")
    root = project_rel(slug)
    try:
        user_tree(data_dir, username).rename(root / old, root / new, replace=overwrite, owner=tree_owner(runtime))
    except safe.FileError as exc:
        raise _conflict_or_invalid(exc) from None
    return str(new)


def check_upload(folder: str, items: Sequence[Upload], limits: UploadLimits) -> list[PurePosixPath]:
    """Where each uploaded file goes (below the project), before anything is written: names
    checked (422), sizes (413), duplicates."""
    if folder.strip().startswith("/"):
        raise Invalid("Upload: the folder must be relative to the workspace")
    base = _rel(folder)
    _name_ok(base, "Upload")
    if not items:
        raise Invalid("Upload: no files were sent")
    if len(items) > limits.max_files:
        raise safe.TooLarge(f"at most {limits.max_files} files per upload")
    total = 0
    seen: set[PurePosixPath] = set()
    targets = []
    for item in items:
        rel = base / _target(item.path, "Upload")
        if rel.parts[0] in HIDDEN:
            raise Invalid(f"Upload: {rel} is a reserved name")
        if rel in seen:
            raise Invalid(f"Upload: {rel} is sent twice")
        seen.add(rel)
        if item.size > limits.max_file_bytes:
            raise safe.TooLarge(f"{rel} is larger than {limits.max_file_bytes // 1_000_000} MB, the limit per file")
        total += item.size
        targets.append(rel)
    if total > limits.max_total_bytes:
        raise safe.TooLarge(f"the upload is larger than {limits.max_total_bytes // 1_000_000} MB")
    return targets


def upload(
    data_dir: Path,
    username: str,
    slug: str,
    folder: str,
    items: Sequence[Upload],
    *,
    runtime: Runtime,
    limits: UploadLimits,
    overwrite: bool = False,
) -> list[Saved]:
    """Write uploaded files below ``folder`` (their own folders made as needed). Nothing is
    written when a name is refused, a file is too large, or (unless ``overwrite``) a name is
    taken; a name taken meanwhile stops the upload there (Conflict)."""
    targets = check_upload(folder, items, limits)
    tree = user_tree(data_dir, username)
    root = project_rel(slug)
    if not tree.is_dir(root):
        raise NotFound("This project has no workspace on disk")
    if not overwrite:
        taken = [str(t) for t in targets if tree.lstat(root / t) is not None]
        if taken:
            more = f" and {len(taken) - 3} more" if len(taken) > 3 else ""
            raise Conflict(f"Already in the workspace: {', '.join(taken[:3])}{more}")
    owner = tree_owner(runtime)
    saved = []
    for rel, item in zip(targets, items, strict=True):
        try:
            size = tree.write_from(
                root / rel,
                item.stream,
                limit=limits.max_file_bytes,
                mode=FILE_MODE,
                exact_mode=True,
                owner=owner,
                replace=overwrite,
            )
        except safe.FileError as exc:
            raise _conflict_or_invalid(exc) from None
        saved.append(Saved(str(rel), size, ""))
    return saved


@dataclass(frozen=True)
class ArchiveSource:
    """What one download covers: a folder of the workspace, checked to exist."""

    tree: safe.Tree
    root: PurePosixPath  # the folder, relative to the user's tree
    prefix: str  # the top folder in the archive: the slug, or the folder's own name
    skip: frozenset[str]  # left out at the top (the supervisor's old folders, at the workspace's top)


def archive_source(data_dir: Path, username: str, slug: str, path: str = "") -> ArchiveSource:
    """The workspace (or one folder of it) a download covers; NotFound when it is not a folder."""
    rel = _rel(path)
    tree = user_tree(data_dir, username)
    root = project_rel(slug)
    if not tree.is_dir(root):
        raise NotFound("This project has no workspace on disk")
    if rel.parts and not tree.is_dir(root / rel):
        raise NotFound("No such folder")
    return ArchiveSource(
        tree=tree,
        root=root / rel,
        prefix=rel.name if rel.parts else slug,
        skip=frozenset() if rel.parts else HIDDEN,
    )


def archive(data_dir: Path, username: str, slug: str, path: str = "") -> Path:
    """The workspace (or one folder) as a .tar.gz in a temporary file the caller removes.

    Regular files only (no links, no devices, no .git); refused past ARCHIVE_LIMITS.
    """
    source = archive_source(data_dir, username, slug, path)
    fd, name = tempfile.mkstemp(prefix="autocode-archive-", suffix=".tar.gz")
    os.close(fd)
    try:
        with tarfile.open(name, mode="w:gz") as tar:
            for item in source.tree.walk(source.root, limits=ARCHIVE_LIMITS, skip=source.skip):
                _add(tar, source.tree, item, f"{source.prefix}/{item.path}")
    except BaseException:  # TooLarge answers 413 with what was exceeded
        os.unlink(name)
        raise
    return Path(name)


def _add(tar: tarfile.TarFile, tree: safe.Tree, item: safe.WalkedFile, arcname: str) -> None:
    try:
        fd = tree.open_walked(item)
    except (OSError, safe.FileError):
        return  # gone or swapped since the listing: left out
    with os.fdopen(fd, "rb") as fh:
        info = tarfile.TarInfo(arcname)
        st = os.fstat(fh.fileno())
        info.size = st.st_size
        info.mode = st.st_mode & 0o755
        info.mtime = int(st.st_mtime)
        try:
            tar.addfile(info, fh)
        except OSError as exc:  # the file shrank while it was read
            raise Invalid("A file changed while the download was made; try again") from exc
