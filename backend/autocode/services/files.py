"""Reading a project's workspace from the app: list a folder, read a file, download it all.

Everything goes through core.files (no link followed, regular files only) and stops at byte,
entry and time limits; the routes run these off the event loop on a small limiter of their own.
"""

from __future__ import annotations

import os
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from autocode.core import files as safe
from autocode.core.layout import project_rel
from autocode.services.errors import Invalid, NotFound
from autocode.services.workspaces import user_tree

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


def read_file(data_dir: Path, username: str, slug: str, path: str) -> FileContent:
    rel = _rel(path)
    if not rel.parts:
        raise Invalid("A file path is needed")
    try:
        data, size = user_tree(data_dir, username).read(project_rel(slug) / rel, limit=MAX_READ_BYTES)
    except safe.Missing:
        raise NotFound("No such file") from None
    except safe.FileError as exc:
        raise Invalid(exc.message) from None
    text = None if b"\x00" in data[:8192] else data.decode("utf-8", "replace")
    return FileContent(str(rel), size, text, size > MAX_READ_BYTES)


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
