"""The decision model's memory: ``MEMORY.md`` in its own folder, one fact a line.

The model keeps facts worth knowing at later steps with its ``remember`` tool; the file is read
into its system prompt at every decision. :func:`add_fact` decides (no I/O): one line per fact,
no duplicate (compared without case and spacing), bounded in size (the oldest facts go first).
:func:`read_memory` and :func:`remember` do, through core.files: the folder and the file are
opened without following a link, and the file is replaced atomically, never written through
whatever sits at its name.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from autocode.core.files import FileError, Tree

MEMORY_FILE = PurePosixPath("MEMORY.md")
HEADING = "# Memory"
MAX_FACT_CHARS = 300
MAX_MEMORY_CHARS = 8_000  # all of it fits in the system prompt
_BULLET = "- "


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _key(fact: str) -> str:
    return _norm(fact).casefold().rstrip(".")


def facts(text: str) -> list[str]:
    """The facts of a MEMORY.md, in order (lines of other shapes are kept as facts too)."""
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        out.append(_norm(line.removeprefix(_BULLET)))
    return out


def render(kept: list[str]) -> str:
    return "\n".join([HEADING, "", *(f"{_BULLET}{f}" for f in kept)]) + "\n"


def add_fact(text: str, fact: str, *, limit: int = MAX_MEMORY_CHARS) -> tuple[str | None, str]:
    """The memory with ``fact`` added (None when unchanged), and what to tell the model."""
    fact = _norm(fact)
    if not fact:
        return None, "error: the fact is empty"
    if len(fact) > MAX_FACT_CHARS:
        return None, f"error: keep a fact under {MAX_FACT_CHARS} characters"
    kept = facts(text)
    if any(_key(f) == _key(fact) for f in kept):
        return None, "already remembered"
    kept.append(fact)
    dropped = 0
    while len(render(kept)) > limit and len(kept) > 1:
        kept.pop(0)
        dropped += 1
    note = f" (the {dropped} oldest facts were forgotten to make room)" if dropped else ""
    return render(kept), f"remembered{note}"


def read_memory(brain_dir: Path) -> str:
    """MEMORY.md's text, or '' when it is missing, a link, not a regular file or unreadable."""
    try:
        return Tree(brain_dir).read_text(MEMORY_FILE, limit=MAX_MEMORY_CHARS * 2)
    except (FileError, OSError):
        return ""


def remember(brain_dir: Path, fact: str) -> str:
    """Add one fact to MEMORY.md; the answer for the model."""
    current = read_memory(brain_dir)
    text, answer = add_fact(current, fact)
    if text is None:
        return answer
    try:
        Tree(brain_dir).write(MEMORY_FILE, text, mode=0o600)
    except (FileError, OSError) as exc:
        return f"error: the memory cannot be written ({getattr(exc, 'message', exc)})"
    return answer


__all__ = ["HEADING", "MAX_FACT_CHARS", "MAX_MEMORY_CHARS", "add_fact", "facts", "read_memory", "remember"]
