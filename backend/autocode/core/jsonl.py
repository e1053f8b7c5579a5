"""JSON Lines files that grow while they are read: one reader of new lines, one appender.

Read through :class:`~autocode.core.files.Tree` (no link followed, regular files only, never
blocking on a FIFO or a device), so the same reader serves a user's tree (Claude Code's
transcript and hook events) and the server's own run folder (a supervisor's inbox).
Claude Code's hook (``autocode/hook.py``) keeps its own single ``O_APPEND`` write: it runs as a
stdlib-only script inside the user's environment.
"""

from __future__ import annotations

import json
import os
from pathlib import Path, PurePosixPath
from typing import Any

from autocode.core.files import Missing, Tree

#: How much of a growing JSONL file one read takes (the rest waits for the next read).
READ_CAP = 1024 * 1024


def read_new_lines(tree: Tree, rel: PurePosixPath, offset: int, *, limit: int = READ_CAP) -> tuple[list[bytes], int]:
    """Complete lines appended to ``rel`` since ``offset``, and the offset after them.

    At most ``limit`` bytes are read (through core.files: those that are not regular files
    raise FileError). A line longer than ``limit`` is skipped; a file that shrank is read
    again from the start. A missing file gives nothing.
    """
    try:
        data, size = tree.read(rel, limit=limit, offset=offset)
    except Missing:
        return [], offset
    if size < offset:
        return [], 0  # replaced or truncated: start over on the next read
    end = data.rfind(b"\n")
    if end < 0:
        if len(data) >= limit:
            return [], offset + len(data)  # one line longer than the cap: dropped
        return [], offset
    return data[: end + 1].splitlines(), offset + end + 1


def read_new_objects(
    tree: Tree, rel: PurePosixPath, offset: int, *, limit: int = READ_CAP
) -> tuple[list[dict[str, Any]], int]:
    """Like :func:`read_new_lines`, each line parsed: only JSON objects are kept."""
    lines, offset = read_new_lines(tree, rel, offset, limit=limit)
    out: list[dict[str, Any]] = []
    for line in lines:
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict):
            out.append(item)
    return out, offset


def append_object(path: Path, item: dict[str, Any]) -> None:
    """One JSON line appended whole (a single ``O_APPEND`` write) to one of the server's own
    files; concurrent writers never interleave within a line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, (json.dumps(item) + "\n").encode())
    finally:
        os.close(fd)


__all__ = ["READ_CAP", "append_object", "read_new_lines", "read_new_objects"]
