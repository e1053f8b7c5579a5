"""Why a project stopped or waits, and the one fix to offer: decided from its status, the kind
recorded where the status was set, and (for rows written before kinds were recorded) the words
of the reason. No I/O."""

from __future__ import annotations

import re
from datetime import datetime
from typing import get_args

from autocode.models import ProjectStatus, ReasonFix, ReasonKind, StatusReason

KINDS: tuple[ReasonKind, ...] = get_args(ReasonKind)

# Older rows carry only the words; the first match names the kind.
_WORDS: tuple[tuple[re.Pattern[str], ReasonKind], ...] = (
    (re.compile(r"token budget", re.I), "budget"),
    (re.compile(r"usage limit", re.I), "usage_limit"),
    (re.compile(r"no anthropic key|subscription token", re.I), "no_key"),
    (re.compile(r"^no plan", re.I), "no_plan"),
    (re.compile(r"crashed", re.I), "crashed"),
    (re.compile(r"^clone failed", re.I), "clone"),
    (re.compile(r"^cannot prepare", re.I), "setup"),
    (re.compile(r"stopped by you|^restarting|disabled", re.I), "stopped"),
)

# The fix offered for each (status, kind); a kind missing for a status falls back to the status's own.
_FIX: dict[tuple[ProjectStatus, ReasonKind], ReasonFix | None] = {
    (ProjectStatus.PAUSED, "budget"): "raise_budget",
    (ProjectStatus.PAUSED, "stopped"): "resume",
    (ProjectStatus.PAUSED, "usage_limit"): "wait",
    (ProjectStatus.PAUSED, "no_key"): "open_settings",
    (ProjectStatus.PAUSED, "no_plan"): "add_steps",
    (ProjectStatus.PAUSED, "setup"): "open_logs",
    (ProjectStatus.PAUSED, "error"): "resume",
    (ProjectStatus.FAILED, "crashed"): "retry",
    (ProjectStatus.FAILED, "clone"): "retry",
    (ProjectStatus.FAILED, "error"): "retry",
}
_STATUS_FIX: dict[ProjectStatus, ReasonFix] = {
    ProjectStatus.PAUSED: "resume",
    ProjectStatus.FAILED: "retry",
    ProjectStatus.NEEDS_HELP: "answer",
}
_DEFAULT_KIND: dict[ProjectStatus, ReasonKind] = {
    ProjectStatus.PAUSED: "stopped",
    ProjectStatus.FAILED: "error",
    ProjectStatus.NEEDS_HELP: "question",
}
_DEFAULT_MESSAGE: dict[ReasonKind, str] = {
    "stopped": "Paused",
    "error": "Stopped by an error; the log says why",
    "question": "The agent is waiting for you",
}


def kind_of(status: ProjectStatus, recorded: str | None, message: str | None) -> ReasonKind | None:
    """The kind of stop: the recorded one, else the words' one, else the status's own."""
    default = _DEFAULT_KIND.get(status)
    if default is None:
        return None
    if status == ProjectStatus.NEEDS_HELP:
        return "question"
    for kind in KINDS:
        if recorded == kind:
            return kind
    for pattern, kind in _WORDS:
        if message and pattern.search(message):
            return kind
    return default


def reason(
    *, status: ProjectStatus, recorded: str | None, message: str | None, resume_at: datetime | None = None
) -> StatusReason | None:
    """Why the project stopped or waits, with its fix; None while it runs, before it starts, once done."""
    kind = kind_of(status, recorded, message)
    if kind is None:
        return None
    fix = _FIX.get((status, kind), _STATUS_FIX.get(status))
    text = (message or "").strip() or _DEFAULT_MESSAGE.get(kind, "")
    return StatusReason(kind=kind, message=text[:1000], fix=fix, resume_at=resume_at if kind == "usage_limit" else None)
