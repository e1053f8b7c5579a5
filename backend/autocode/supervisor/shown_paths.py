"""What a project's log and questions may show of paths: workspace-relative, never the server's.

Claude Code works with absolute paths (its hooks and tool calls name `/data/users/.../x.txt` on
the local runtime, `/workspace/...` in a container); the user knows their files by their place
in the project. Pure functions; the supervisor applies them to everything it logs or asks."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any


def hide_paths(text: str, roots: Sequence[tuple[str, str]]) -> str:
    """Rewrite each `root/...` as `name/...` (name "" drops the root) and a bare root as the
    name or "."; longest roots first, so the workspace wins over the data dir it sits in."""
    for root, name in sorted(
        ((r.rstrip("/"), n) for r, n in roots if r.rstrip("/")), key=lambda rn: len(rn[0]), reverse=True
    ):
        prefix = f"{name}/" if name else ""
        text = re.sub(re.escape(root) + r"/", _literally(prefix), text)
        text = re.sub(re.escape(root) + r"(?![\w.-])", _literally(name or "."), text)
    return text


def _literally(replacement: str) -> Callable[[re.Match[str]], str]:
    """A re.sub replacement that inserts its text as it is (no backslash or group escapes)."""
    return lambda _m: replacement


def hide_paths_in(value: Any, roots: Sequence[tuple[str, str]]) -> Any:
    """hide_paths applied to every string inside JSON-like data (dicts, lists)."""
    if isinstance(value, str):
        return hide_paths(value, roots)
    if isinstance(value, dict):
        return {k: hide_paths_in(v, roots) for k, v in value.items()}
    if isinstance(value, list):
        return [hide_paths_in(v, roots) for v in value]
    return value
