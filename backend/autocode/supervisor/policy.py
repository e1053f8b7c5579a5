"""Permission answers by rule: what the `auto` policy approves, and what goes to a human."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from autocode.supervisor.screen import Screen

# Ordinary build, test and inspection commands; anything else is a human's call.
SAFE_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("ls",), ("cat",), ("head",), ("tail",), ("wc",), ("pwd",), ("echo",), ("mkdir",), ("touch",),
    ("grep",), ("find",), ("diff",), ("tree",),
    ("git", "status"), ("git", "diff"), ("git", "log"), ("git", "add"), ("git", "show"),
    ("npm", "test"), ("npm", "run"), ("npm", "install"), ("npm", "ci"), ("npx", "tsc"),
    ("pnpm", "test"), ("yarn", "test"),
    ("pytest",), ("python", "-m", "pytest"), ("python3", "-m", "pytest"),
    ("python",), ("python3",), ("node",), ("make",), ("cargo", "build"), ("cargo", "test"),
    ("go", "build"), ("go", "test"), ("go", "vet"), ("ruff",), ("mypy",), ("tsc",),
)
# Shell features that can hide a second command or write outside the workspace.
_UNSAFE = re.compile(r"[;&|`$<>]|\bsudo\b|\brm\b|\bcurl\b|\bwget\b|\bchmod\b|\bchown\b")
_EDIT_TOOLS = ("create", "edit", "write", "update", "notebook")


@dataclass(frozen=True)
class Decision:
    approve: bool
    reason: str


def command_is_safe(command: str) -> bool:
    if _UNSAFE.search(command):
        return False
    try:
        words = shlex.split(command)
    except ValueError:
        return False
    return any(tuple(words[: len(prefix)]) == prefix for prefix in SAFE_COMMANDS if words)


def path_inside(path: str, root: Path) -> bool:
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = root / candidate
    try:
        return candidate.resolve().is_relative_to(root.resolve())
    except (OSError, ValueError):
        return False


def decide(screen: Screen, *, policy: str, workspace: Path) -> Decision:
    """Approve or escalate a permission question shown on Claude Code's screen."""
    what = f"{screen.question or 'a permission question'} {screen.target or ''}".strip()
    if policy == "ask":
        return Decision(False, f"policy 'ask': every permission goes to you ({what})")
    tool = (screen.tool or "").lower()
    question = (screen.question or "").lower()
    target = screen.target or ""
    is_command = "bash" in tool or "command" in tool or "proceed" in question
    is_edit = not is_command and (
        any(word in tool for word in _EDIT_TOOLS) or "edit to" in question or "create" in question
    )
    if is_edit:
        if target and path_inside(target, workspace):
            return Decision(True, f"edit inside the workspace: {target}")
        return Decision(False, f"edit outside the workspace: {target or 'unknown file'}")
    if is_command:
        if target and command_is_safe(target):
            return Decision(True, f"ordinary build/test command: {target}")
        return Decision(False, f"command not on the safe list: {target or 'unknown command'}")
    return Decision(False, f"not a file edit or a known command ({what})")


_YES = {"y", "yes", "approve", "approved", "allow", "ok", "okay", "go", "go ahead", "sure"}
_NO = {"n", "no", "deny", "denied", "reject", "refuse", "stop", "don't", "dont"}


def reply_keys(text: str) -> tuple[str | None, str | None]:
    """How a human's reply answers a permission menu: (key to press, text to send after)."""
    cleaned = text.strip()
    lowered = cleaned.lower().rstrip(".! ")
    if re.fullmatch(r"[1-9]", lowered):
        return lowered, None
    if lowered in _YES:
        return "1", None
    if lowered in _NO:
        return "Escape", None
    first, _, rest = cleaned.partition(" ")
    if first.lower().rstrip(",.:;!") in _YES:
        return "1", rest.strip() or None
    return "Escape", cleaned
