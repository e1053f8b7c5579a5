"""The read-only helpers (read_file, list_dir, search) over the project's folder in the user's tree.

Every read goes through core.files: no link is followed, only regular files are read, and reads,
listings and searches are bounded.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from autocode.core.files import FileError, Limits, Missing, Refused, TooLarge, Tree, parse_rel
from autocode.supervisor.brain.schemas import STR, obj

# Names an agent template may use in its `tools` list, mapped to the read-only helper they enable.
READ_HELPERS: dict[str, str] = {
    "read_file": "read_file",
    "read": "read_file",
    "list_dir": "list_dir",
    "ls": "list_dir",
    "list": "list_dir",
    "search": "search",
    "grep": "search",
    "find": "search",
}
MAX_READ_CHARS = 60_000
MAX_READ_FILE_BYTES = 5_000_000
MAX_LIST_ENTRIES = 400
MAX_SEARCH_MATCHES = 200
MAX_SEARCH_FILES = 5_000
MAX_SEARCH_FILE_BYTES = 1_000_000
SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__", ".mypy_cache", ".pytest_cache"})


@dataclass(frozen=True)
class ProjectFiles:
    """The project's folder in its owner's tree, read through core.files (no link followed)."""

    tree: Tree
    root: PurePosixPath  # the project's folder, relative to the tree

    def rel(self, path: str) -> PurePosixPath:
        """A path the model gave (relative to the project) as a path in the tree."""
        text = (path or ".").strip()
        if text.startswith("/") or text.startswith("~"):
            raise ValueError(f"{path} is outside the workspace (use a path relative to it)")
        try:
            inner = parse_rel(text)
        except FileError as exc:
            raise ValueError(f"{path} is outside the workspace ({exc.message})") from None
        return self.root / inner


def _through_link(files: ProjectFiles, rel: PurePosixPath) -> bool:
    """Whether a component of ``rel`` below the project folder is a link (looked at, not followed)."""
    for depth in range(len(files.root.parts), len(rel.parts) + 1):
        try:
            info = files.tree.lstat(PurePosixPath(*rel.parts[:depth]))
        except FileError:
            return True
        if info is None:
            return False
        if stat.S_ISLNK(info.st_mode):
            return True
    return False


def _file_error(path: str, exc: FileError, files: ProjectFiles | None = None, rel: PurePosixPath | None = None) -> str:
    if isinstance(exc, Missing) and files is not None and rel is not None and _through_link(files, rel):
        raise ValueError(f"{path} is outside the workspace (links are not followed)")
    if isinstance(exc, Missing):
        return f"error: {path} does not exist"
    if isinstance(exc, Refused) and "links are not followed" in exc.message:
        raise ValueError(f"{path} is outside the workspace (links are not followed)")
    return f"error: {path}: {exc.message}"


def read_file(files: ProjectFiles, path: str, offset: int = 1, limit: int = 400) -> str:
    """Numbered lines ``offset``.. of a text file inside the workspace."""
    rel = files.rel(path)
    try:
        data, size = files.tree.read(rel, limit=MAX_READ_FILE_BYTES)
    except FileError as exc:
        if isinstance(exc, Refused) and "not a regular file" in exc.message:
            return f"error: {path} is not a file"
        if isinstance(exc, Missing) and files.tree.is_dir(rel):
            return f"error: {path} is not a file"
        return _file_error(path, exc, files, rel)
    except IsADirectoryError:
        return f"error: {path} is not a file"
    if size > MAX_READ_FILE_BYTES:
        return f"error: {path} is larger than {MAX_READ_FILE_BYTES} bytes; use search"
    lines = data.decode("utf-8", "replace").splitlines()
    start = max(1, offset)
    chosen = lines[start - 1 : start - 1 + max(1, min(limit, 2000))]
    out = "\n".join(f"{i:>5}  {line}" for i, line in enumerate(chosen, start))
    if len(out) > MAX_READ_CHARS:
        out = out[:MAX_READ_CHARS] + "\n... (truncated)"
    more = len(lines) - (start - 1 + len(chosen))
    return out + (f"\n... ({more} more lines; use offset)" if more > 0 else "") if out else "(empty)"


def list_dir(files: ProjectFiles, path: str = ".") -> str:
    """Entries of a directory inside the workspace, directories with a trailing slash."""
    rel = files.rel(path)
    try:
        entries = files.tree.list(rel, limit=MAX_LIST_ENTRIES + 1)
    except FileError as exc:
        if isinstance(exc, Missing) and not _through_link(files, rel):
            return f"error: {path} is not a directory"
        return _file_error(path, exc, files, rel)
    entries.sort(key=lambda e: (e.kind != "dir", e.name))
    suffix = {"dir": "/", "link": " (link, not followed)"}
    names = [e.name + suffix.get(e.kind, "") for e in entries[:MAX_LIST_ENTRIES]]
    if len(entries) > MAX_LIST_ENTRIES:
        names.append(f"... (more than {MAX_LIST_ENTRIES} entries)")
    return "\n".join(names) or "(empty directory)"


def search(files: ProjectFiles, pattern: str, path: str = ".", glob: str | None = None, regex: bool = False) -> str:
    """Lines matching ``pattern`` (literal unless ``regex``) in text files inside the workspace."""
    rel = files.rel(path)
    try:
        rx = re.compile(pattern if regex else re.escape(pattern))
    except re.error as exc:
        return f"error: bad regular expression: {exc}"
    shown = rel.relative_to(files.root)
    hits: list[str] = []

    def scan(name: PurePosixPath, data: bytes) -> bool:
        if b"\0" in data[:8192]:
            return False
        for n, line in enumerate(data.decode(errors="replace").splitlines(), 1):
            if rx.search(line):
                hits.append(f"{name}:{n}: {line.strip()[:300]}")
                if len(hits) >= MAX_SEARCH_MATCHES:
                    return True
        return False

    info = files.tree.lstat(rel) if rel != files.root else None
    if info is not None and stat.S_ISLNK(info.st_mode):
        raise ValueError(f"{path} is outside the workspace (links are not followed)")
    if info is not None and stat.S_ISREG(info.st_mode):
        if info.st_size <= MAX_SEARCH_FILE_BYTES:
            try:
                data, _ = files.tree.read(rel, limit=MAX_SEARCH_FILE_BYTES)
            except FileError as exc:
                return _file_error(path, exc)
            scan(shown, data)
        return "\n".join(hits) or "(no matches)"
    count = 0
    limits = Limits(max_entries=MAX_SEARCH_FILES * 4, max_bytes=1 << 40, max_seconds=10.0)
    try:
        for item in files.tree.walk(rel, limits=limits, exclude=lambda p, is_dir: is_dir and p.name in SKIP_DIRS):
            count += 1
            if count > MAX_SEARCH_FILES:
                break
            if glob and not item.path.match(glob):
                continue
            if item.size > MAX_SEARCH_FILE_BYTES:
                continue
            try:
                fd = Tree.open_walked(item)
            except (OSError, FileError):
                continue
            try:
                data = os.pread(fd, MAX_SEARCH_FILE_BYTES, 0)
            finally:
                os.close(fd)
            name = shown / item.path if str(shown) != "." else item.path
            if scan(name, data):
                return "\n".join(hits) + f"\n... (stopped at {MAX_SEARCH_MATCHES} matches)"
    except TooLarge as exc:
        hits.append(f"... (search stopped: {exc.message})")
    except FileError as exc:
        return _file_error(path, exc, files, rel)
    return "\n".join(hits) or "(no matches)"


READ_SCHEMAS: dict[str, tuple[str, dict[str, Any], Callable[..., str]]] = {
    "read_file": (
        "Read a text file of the project workspace (read-only), with line numbers.",
        obj(
            {
                "path": {**STR, "description": "Path relative to the workspace."},
                "offset": {"type": "integer", "description": "First line (1-based).", "minimum": 1},
                "limit": {"type": "integer", "description": "How many lines (max 2000).", "minimum": 1},
            },
            ["path"],
        ),
        read_file,
    ),
    "list_dir": (
        "List a directory of the project workspace (read-only).",
        obj({"path": {**STR, "description": "Path relative to the workspace; '.' for the root."}}, []),
        list_dir,
    ),
    "search": (
        "Search text files of the project workspace for a string (read-only); .git and dependency folders are skipped.",
        obj(
            {
                "pattern": {**STR, "description": "The text to find (a regular expression when regex is true)."},
                "path": {**STR, "description": "Folder or file to search, relative to the workspace."},
                "glob": {**STR, "description": "Only files whose path matches, e.g. '*.py'."},
                "regex": {"type": "boolean"},
            },
            ["pattern"],
        ),
        search,
    ),
}


def enabled_read_helpers(tools: Sequence[str]) -> list[str]:
    """The read-only helpers a template's ``tools`` list enables; other names enable nothing."""
    out: list[str] = []
    for name in tools:
        helper = READ_HELPERS.get(name.strip().lower())
        if helper and helper not in out:
            out.append(helper)
    return out
