"""Permission answers by rule: what the `auto` policy approves, and what goes to a human."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

from autocode.supervisor import permissions
from autocode.supervisor.permissions import Decision as Decision  # the one verdict type, also for the loop
from autocode.supervisor.screen import Screen

_EDIT_TOOLS = ("create", "edit", "write", "update", "notebook")


def decide(screen: Screen, *, policy: str, workspace: PurePosixPath) -> Decision:
    """Approve or escalate a permission question shown on Claude Code's screen (commands by
    :func:`permissions.decide`, the one rule; edits by its path rule, :func:`permissions.inside`).

    ``workspace`` is the project folder as Claude Code sees it (``/workspace/projects/<slug>``
    in a container); paths are judged lexically, the user's tree is never looked at.
    """
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
        if target and permissions.inside(target, workspace):
            return Decision(True, f"edit inside the workspace: {target}")
        return Decision(False, f"edit outside the workspace: {target or 'unknown file'}")
    if is_command:
        if not target:
            return Decision(False, "a command that could not be read from the screen")
        verdict = permissions.decide(target, workspace=workspace)
        if verdict.allow:
            return Decision(True, f"ordinary build/test command: {target} ({verdict.reason})")
        return Decision(False, f"not approved by the auto policy: {verdict.reason}")
    return Decision(False, f"not a file edit or a known command ({what})")


_YES = {"y", "yes", "approve", "approved", "allow", "ok", "okay", "go", "go ahead", "sure"}
_NO = {"n", "no", "deny", "denied", "reject", "refuse", "stop", "don't", "dont"}


def reply_text(message: Mapping[str, object]) -> str | None:
    """A reply from the inbox as the text `reply_keys` understands: free text as it is, a
    decision as yes/no, a menu choice as its digit; None when the message holds none."""
    text = message.get("text")
    if isinstance(text, str) and text.strip():
        return text.strip()
    decision = message.get("decision")
    if decision in ("approve", "deny"):
        return "yes" if decision == "approve" else "no"
    choice = message.get("choice")
    if isinstance(choice, int) and not isinstance(choice, bool) and 1 <= choice <= 9:
        return str(choice)
    return None


def is_decline(text: str) -> bool:
    """Whether a human's reply says no (deny, reject, stop...)."""
    return text.strip().lower().rstrip(".! ") in _NO


def answer_words(text: str, choices: Sequence[str] = ()) -> str:
    """A reply as the words to record ("no", "2. Blue"): a menu digit becomes its choice."""
    cleaned = text.strip()
    if re.fullmatch(r"[1-9]", cleaned) and int(cleaned) <= len(choices):
        return f"{cleaned}. {choices[int(cleaned) - 1]}"
    return cleaned


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
