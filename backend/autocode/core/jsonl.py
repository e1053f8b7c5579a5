"""JSON Lines files that grow while they are read: one reader of new lines.

Read through :class:`~autocode.core.files.Tree` (no link followed, regular files only, never
blocking on a FIFO or a device): Claude Code's transcript and hook events are in the user's tree.
"""

from __future__ import annotations

from pathlib import PurePosixPath

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


__all__ = ["READ_CAP", "read_new_lines"]
