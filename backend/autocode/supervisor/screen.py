"""Claude Code screen -> state: what a ``capture-pane -p`` of the CLI shows right now.

Written against the real screens of Claude Code 2.1.330 in tests/fixtures/screens/2.1.330/
(re-capture with tools/claude-code/capture.py after a version bump). Screen text is the least
sturdy signal: the supervisor combines it with the hooks (Stop, PermissionRequest, PreToolUse)
and the JSONL transcript. Only the bottom :data:`WINDOW` non-blank lines are looked at, because
old text stays above.

Landmarks of this release:

- The input box sits between the last two ``────`` rules; its prompt glyph is ``❯`` followed by
  a NO-BREAK SPACE, while prompts echoed into the conversation use ``❯`` + a plain space.
- The footer under the box says ``esc to interrupt`` while a turn runs, next to the mode
  (``⏸ manual mode on``, ``⏵⏵ accept edits on``, ``⏵⏵ bypass permissions on``...).
- After an API error the box shows a placeholder (``Resend your message to try again``);
  ``capture-pane -p`` drops the dim attribute, so placeholders are matched by text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

WINDOW = 25
NBSP = "\u00a0"


class ScreenState(StrEnum):
    """What Claude Code is doing, as far as its screen tells."""

    IDLE = "idle"  # waiting for a prompt (see Screen.input_text for text already typed)
    BUSY = "busy"  # a turn runs (model call, tool, hook, compaction)
    PERMISSION = "permission"  # asks to approve a tool call
    ERROR = "error"  # the last turn ended with an API error; waiting for a prompt
    RETRYING = "retrying"  # an API call failed and is being retried (attempt k/n)
    EXITED = "exited"  # the CLI is gone
    TRUST_DIALOG = "trust_dialog"  # "Do you trust the files in this folder?"
    KEY_DIALOG = "key_dialog"  # "Do you want to use this API key?" (defaults to No)
    BYPASS_DIALOG = "bypass_dialog"  # bypass-permissions warning (defaults to "No, exit")
    QUESTION = "question"  # Claude asks the user to pick an answer (AskUserQuestion)
    PLAN_APPROVAL = "plan_approval"  # plan mode: "Exit plan mode?" / "Would you like to proceed?"
    DIALOG = "dialog"  # some other selection menu ("Enter to confirm · Esc to cancel")
    UNKNOWN = "unknown"  # starting up, or a screen this release does not explain


@dataclass(frozen=True)
class Screen:
    """A classified screen and the details read off it."""

    state: ScreenState
    question: str | None = None  # permission / question / plan: the question asked
    tool: str | None = None  # permission: the box title ("Bash command", "Create file", ...)
    target: str | None = None  # permission: the command or the file
    options: tuple[str, ...] = ()  # menu options, in order (1-based numbers when shown)
    selected: str | None = None  # the option the menu cursor (❯) is on: what Enter picks
    error: str | None = None  # error: "API Error: 400 ..."
    attempt: int | None = None  # retrying: k of "attempt k/n"
    max_attempts: int | None = None  # retrying: n
    retry_in_s: int | None = None  # retrying: seconds until the next attempt
    input_text: str | None = None  # idle: text sitting unsent in the input box
    mode: str | None = None  # footer mode: "manual mode on", "bypass permissions on", ...
    activity: str | None = None  # busy: the spinner line
    turn_finished: bool = False  # "✻ Worked for 3s" after the last prompt
    interrupted: bool = False  # "Interrupted · What should Claude do instead?"
    rejected: bool = False  # a tool call was just rejected
    exit_pending: bool = False  # "Press Ctrl-C again to exit"
    compacting: bool = False  # busy compacting the conversation
    resume_session_id: str | None = None  # exited: from "claude --resume <id>"


#: How to accept a start-up dialog: move the cursor with this key until ``Screen.selected``
#: is the accepting option, then press Enter. The options are not numbered in this release
#: (a digit does nothing) and the cursor starts on the refusing option.
DIALOG_ACCEPT: dict[ScreenState, tuple[str, str]] = {
    ScreenState.TRUST_DIALOG: ("Down", "Yes, I trust this folder"),
    ScreenState.KEY_DIALOG: ("Up", "Yes"),
    ScreenState.BYPASS_DIALOG: ("Down", "Yes, I accept"),
}

_RULE = re.compile(r"^─{20,}\s*$")
_ECHO = re.compile(r"^❯ \S")  # a prompt echoed into the conversation (plain space)
_SPINNER = re.compile(r"^[·✢✳✶✻✽*] (\S.*….*)$")
_FINISHED = re.compile(r"^✻ \S+ for (\d+[hms] ?)+")
_RETRY = re.compile(r"^[·✢✳✶✻✽*]?\s*(.*?)\s*·\s*retrying in (\d+)s\s*·\s*attempt (\d+)/(\d+)", re.IGNORECASE)
_API_ERROR = re.compile(
    r"^(?:●|\s+⎿)\s+((?:Please run /login · )?API Error:.*|Invalid API key.*|"
    r"Credit balance is too low.*|Prompt is too long.*)$"
)
_PLACEHOLDERS_ERROR = ("Resend your message to try again", "Once fixed, resend your message")
_QUESTION = re.compile(r"^\s*(Do you want to .*\?|Allow execution of .*|Action Required.*)\s*$")
_MODE = re.compile(r"(⏸|⏵⏵|⏵)\s+([^·(]+?)\s*(?:\(|·|$)")
_RESUME = re.compile(r"claude .*--resume ([0-9a-f-]{36})")
# launcher lines after the CLI is gone: our wrappers' marker, tmux remain-on-exit
_EXIT_MARK = re.compile(r"claude exited\b|^Pane is dead\b|^\[(?:process|exited).*\]$", re.IGNORECASE)
_SHELL_PROMPT = re.compile(r"[$#%] ?$")


def strip_side_panel(text: str) -> str:
    """Cut off the panel Claude Code draws on the right of wide terminals (a `│` column)."""
    lines = text.split("\n")
    counts: dict[int, int] = {}
    for line in lines:
        for i, ch in enumerate(line):
            if ch == "│" and i >= 40:
                counts[i] = counts.get(i, 0) + 1
    if not counts:
        return text
    column, hits = max(counts.items(), key=lambda kv: kv[1])
    filled = sum(1 for line in lines if line.strip())
    if hits < max(5, int(filled * 0.6)):
        return text
    return "\n".join(line[:column].rstrip() if len(line) > column and line[column] == "│" else line for line in lines)


def _window(text: str) -> list[str]:
    # The UI is anchored at the bottom with the conversation at the top and blank rows in
    # between, so the window is the last WINDOW non-blank lines, not the last screen rows.
    lines = [ln for ln in text.replace("\r", "").split("\n") if ln.strip()]
    return lines[-WINDOW:]


def _box(lines: list[str]) -> tuple[int, int] | None:
    """Indexes of the two rules around the input box, if the bottom shows one."""
    rules = [i for i, ln in enumerate(lines) if _RULE.match(ln)]
    if len(rules) < 2:
        return None
    top, bottom = rules[-2], rules[-1]
    inside = lines[top + 1 : bottom]
    if inside and inside[0].startswith("❯") and len(lines) - bottom <= 4:
        return top, bottom
    return None


def _footer_mode(footer: list[str]) -> str | None:
    for ln in footer:
        m = _MODE.search(ln)
        if m:
            return m.group(2).strip()
    return None


def _last_echo(lines: list[str], end: int) -> int:
    for i in range(end - 1, -1, -1):
        if _ECHO.match(lines[i]):
            return i
    return -1


def _joined(lines: list[str], start: int) -> str:
    """A message line plus its indented continuation lines."""
    parts = [lines[start].strip().lstrip("●⎿").strip()]
    for ln in lines[start + 1 :]:
        # continuation lines are indented by two; deeper ones are right-aligned widgets
        if re.match(r"^ {2,4}[^\s⎿●✻]", ln):
            parts.append(ln.strip())
        else:
            break
    return " ".join(parts)


_NUMBERED = re.compile(r"^\s*(?:❯\s*)?(\d+)\.\s+(.+?)\s*$")


def _numbered_options(lines: list[str]) -> tuple[str, ...]:
    return tuple(m.group(2) for ln in lines if (m := _NUMBERED.match(ln)))


def _selected(lines: list[str]) -> str | None:
    """The option under the menu cursor: ``  ❯ 1. Yes`` or ``  ❯ No, exit`` (not the input box)."""
    for ln in lines:
        m = re.match(r"^\s*❯ (?:\d+\.\s+)?(\S.*?)\s*$", ln)
        if m and ln.lstrip() != ln:
            return m.group(1)
    for ln in lines:
        m = re.match(r"^❯ (\d+)\.\s+(\S.*?)\s*$", ln)  # AskUserQuestion draws it at column 0
        if m:
            return m.group(2)
    return None


def _has_selected_option(lines: list[str]) -> bool:
    """A live menu marks its current option: ``❯ 1. Yes`` (model text never does)."""
    return any(re.match(r"^\s*❯\s*\d+\.\s", ln) for ln in lines)


def _permission(lines: list[str]) -> Screen | None:
    q_idx = next((i for i in range(len(lines) - 1, -1, -1) if _QUESTION.match(lines[i])), None)
    if q_idx is None:
        return None
    below = lines[q_idx + 1 :]
    options = _numbered_options(below)
    if not options or not _has_selected_option(below):
        return None
    # The dialog starts after the last rule above the question; its first line is the title.
    starts = [i for i in range(q_idx) if _RULE.match(lines[i])]
    body = lines[starts[-1] + 1 : q_idx] if starts else lines[:q_idx]
    body = [ln for ln in body if ln.strip()]
    tool = body[0].strip() if body else None
    target: str | None = None
    dashed = [i for i, ln in enumerate(body) if ln.strip().startswith("╌")]
    if tool and tool.lower().startswith("bash") and len(dashed) >= 2:
        target = " ".join(ln.strip().lstrip("│").strip() for ln in body[dashed[0] + 1 : dashed[1]])
    elif len(body) > 1 and not body[1].strip().startswith("╌"):
        target = body[1].strip()
    return Screen(
        ScreenState.PERMISSION,
        question=lines[q_idx].strip(),
        tool=tool,
        target=target,
        options=tuple(options),
        selected=_selected(below),
    )


def _menu(lines: list[str]) -> Screen | None:
    """Plan approval and AskUserQuestion menus (numbered options, no input box)."""
    for i, ln in enumerate(lines):
        if ln.strip() in ("Exit plan mode?", "Would you like to proceed?") and _has_selected_option(lines[i + 1 :]):
            return Screen(
                ScreenState.PLAN_APPROVAL,
                question=ln.strip(),
                options=_numbered_options(lines[i + 1 :]),
                selected=_selected(lines[i + 1 :]),
            )
    if not any("Enter to select" in ln for ln in lines[-4:]):
        return None
    first = next((i for i, ln in enumerate(lines) if re.match(r"^\s*❯?\s*1\.\s", ln)), None)
    if first is None or first == 0 or not _has_selected_option(lines[first:]):
        return None
    return Screen(
        ScreenState.QUESTION,
        question=lines[first - 1].strip(),
        options=_numbered_options(lines[first:]),
        selected=_selected(lines[first:]),
    )


def read_screen(text: str) -> Screen:
    """Classify a captured screen and extract what the supervisor needs from it."""
    lines = _window(strip_side_panel(text))
    if not lines:
        return Screen(ScreenState.UNKNOWN)
    joined = "\n".join(lines)

    # Exited, unless a new Claude Code UI (its rules) was drawn below the farewell.
    farewell = max((i for i, ln in enumerate(lines) if ln.startswith("Resume this session with")), default=-1)
    if farewell >= 0 and not any(_RULE.match(ln) for ln in lines[farewell:]):
        m = _RESUME.search("\n".join(lines[farewell:]))
        return Screen(ScreenState.EXITED, resume_session_id=m.group(1) if m else None)
    if _EXIT_MARK.search(lines[-1]):
        return Screen(ScreenState.EXITED)

    if "Yes, I trust this folder" in joined:
        return Screen(
            ScreenState.TRUST_DIALOG, options=("No, exit", "Yes, I trust this folder"), selected=_selected(lines)
        )
    if re.search(r"Do you want to use this API key\?", joined):
        return Screen(ScreenState.KEY_DIALOG, options=("Yes", "No (recommended)"), selected=_selected(lines))
    if "Bypass Permissions mode" in joined and "Yes, I accept" in joined:
        return Screen(ScreenState.BYPASS_DIALOG, options=("No, exit", "Yes, I accept"), selected=_selected(lines))

    perm = _permission(lines) or _menu(lines)
    if perm is not None:
        return perm

    box = _box(lines)
    end = box[0] if box else len(lines)
    footer = lines[box[1] + 1 :] if box else []
    footer_text = " ".join(footer)
    mode = _footer_mode(footer)
    echo = _last_echo(lines, end)
    convo = lines[echo + 1 : end]  # what the current turn printed, above the input box

    busy = "esc to interrupt" in footer_text
    spinner = next((m.group(1) for ln in reversed(convo) if (m := _SPINNER.match(ln))), None)
    for ln in reversed(convo):
        m = _RETRY.match(ln)
        if m and (busy or box is None):
            return Screen(
                ScreenState.RETRYING,
                error=m.group(1) or None,
                retry_in_s=int(m.group(2)),
                attempt=int(m.group(3)),
                max_attempts=int(m.group(4)),
                mode=mode,
            )
    if busy or (spinner is not None and box is not None):
        compacting = "ompacting" in (spinner or "") or "Compacting conversation" in joined
        return Screen(ScreenState.BUSY, activity=spinner, mode=mode, compacting=compacting)

    if box is None:
        if any(re.search(r"Enter to (confirm|select)|Esc to cancel", ln) for ln in lines[-3:]):
            rules = [i for i, ln in enumerate(lines) if _RULE.match(ln)]
            body = [ln.strip() for ln in lines[rules[-1] + 1 if rules else 0 :] if ln.strip()]
            return Screen(
                ScreenState.DIALOG,
                question=body[0] if body else None,
                options=_numbered_options(lines),
                selected=_selected(lines),
            )
        if not any(_RULE.match(ln) for ln in lines) and _SHELL_PROMPT.search(lines[-1]):
            return Screen(ScreenState.EXITED)
        return Screen(ScreenState.UNKNOWN)

    box_lines = lines[box[0] + 1 : box[1]]
    first = box_lines[0][1:].lstrip(NBSP + " ")
    typed = "\n".join([first, *(ln.strip() for ln in box_lines[1:])]).strip()
    placeholder = typed in _PLACEHOLDERS_ERROR
    input_text = None if (placeholder or not typed) else typed

    error: str | None = None
    for i in range(len(convo) - 1, -1, -1):
        if _API_ERROR.match(convo[i]):
            error = _joined(convo, i)
            break
    return Screen(
        ScreenState.ERROR if error is not None or placeholder else ScreenState.IDLE,
        error=error,
        mode=mode,
        input_text=input_text,
        turn_finished=any(_FINISHED.match(ln) for ln in convo),
        interrupted=any("Interrupted · What should Claude do instead?" in ln for ln in convo),
        rejected=any(re.search(r"Rejected (write|edit|update)|User rejected", ln) for ln in convo),
        exit_pending="again to exit" in footer_text,
    )


def classify(text: str) -> ScreenState:
    """The state of a captured Claude Code screen."""
    return read_screen(text).state


__all__ = ["DIALOG_ACCEPT", "NBSP", "WINDOW", "Screen", "ScreenState", "classify", "read_screen", "strip_side_panel"]
