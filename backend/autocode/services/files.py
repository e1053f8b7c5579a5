"""Reading a project's workspace from the app: list a folder, read a file, download it all."""

from __future__ import annotations

import os
import stat
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autocode.models import Project
from autocode.services.errors import Invalid, NotFound
from autocode.services.workspaces import safe_join

MAX_READ_BYTES = 1_000_000
MAX_ENTRIES = 2000
# What the supervisor keeps for itself stays out of listings and downloads.
HIDDEN = {".git", ".nanobot"}


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


def _root(project: Project) -> Path:
    root = Path(project.workspace_path)
    if not root.is_dir():
        raise NotFound("This project has no workspace on disk")
    return root


def _resolve(project: Project, path: str) -> tuple[Path, Path]:
    root = _root(project)
    clean = path.strip().lstrip("/")
    if "\x00" in clean:
        raise Invalid("Invalid path")
    target = safe_join(root, clean) if clean else root.resolve()
    rel = target.relative_to(root.resolve())
    if rel.parts and rel.parts[0] in HIDDEN:
        raise NotFound("No such file or folder")
    return root.resolve(), target


def list_dir(project: Project, path: str = "") -> list[Entry]:
    root, target = _resolve(project, path)
    if not target.is_dir():
        raise NotFound("No such folder")
    entries: list[Entry] = []
    for child in sorted(target.iterdir(), key=lambda p: (not p.is_dir(), p.name.lower())):
        if target == root and child.name in HIDDEN:
            continue
        try:
            info = child.lstat()
        except OSError:
            continue
        if stat.S_ISLNK(info.st_mode):
            continue  # a link could point anywhere: not shown
        kind = "dir" if stat.S_ISDIR(info.st_mode) else "file"
        entries.append(Entry(child.name, str(child.relative_to(root)), kind, 0 if kind == "dir" else info.st_size))
        if len(entries) >= MAX_ENTRIES:
            break
    return entries


def read_file(project: Project, path: str) -> FileContent:
    root, target = _resolve(project, path)
    if target.is_symlink() or not target.is_file():
        raise NotFound("No such file")
    size = target.stat().st_size
    with target.open("rb") as fh:
        data = fh.read(MAX_READ_BYTES)
    text: str | None
    if b"\x00" in data[:8192]:
        text = None
    else:
        text = data.decode("utf-8", "replace")
    return FileContent(str(target.relative_to(root)), size, text, size > MAX_READ_BYTES)


def archive(project: Project) -> Path:
    """The workspace as a .tar.gz in a temporary file the caller removes (no .git, .nanobot, links)."""
    root = _root(project).resolve()

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        parts = Path(info.name).parts
        if len(parts) > 1 and parts[1] in HIDDEN:
            return None
        if info.issym() or info.islnk() or info.isdev():
            return None
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    fd, name = tempfile.mkstemp(prefix="autocode-archive-", suffix=".tar.gz")
    os.close(fd)
    try:
        with tarfile.open(name, mode="w:gz") as tar:
            tar.add(str(root), arcname=project.slug, filter=keep)
    except BaseException:
        os.unlink(name)
        raise
    return Path(name)
