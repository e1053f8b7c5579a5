"""What Claude Code says and does, as items a person can read: its transcript lines turned into
an activity feed (messages, tool calls with a small diff or a command, their results, questions).

Pure: a function of one transcript entry (a JSON line Claude Code writes), no I/O. Every item is
plain JSON with a ``type``, bounded in size, so it can travel in a log row's ``data["activity"]``
and over the events socket. The supervisor adds its own items (a question it asks you, your
answer, its decisions) through the same log.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

#: Size limits of one item (a transcript line may hold a whole file).
MAX_TEXT = 4000
MAX_DIFF_LINES = 40
MAX_LINE = 240
MAX_OUTPUT_LINES = 12
MAX_OUTPUT = 1500
MAX_CHOICES = 12

#: Tools whose input is a file change; their card carries a diff.
FILE_TOOLS = frozenset({"Write", "Edit", "MultiEdit", "NotebookEdit"})
QUESTION_TOOL = "AskUserQuestion"
#: How a tool result starts when the permission was refused (Claude Code's own words).
REJECTED = "The user doesn't want to proceed with this tool use"

_EXIT_CODE = re.compile(r"\bexit code (\d+)", re.I)
_ANSWERED = re.compile(r'"((?:[^"\\]|\\.)*)"\s*=\s*"((?:[^"\\]|\\.)*)"')


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _head(text: str) -> tuple[str, bool]:
    """The first lines of a command's output, and whether some was left out."""
    lines = text.splitlines()
    head = "\n".join(_clip(ln, MAX_LINE) for ln in lines[:MAX_OUTPUT_LINES])
    cut = len(lines) > MAX_OUTPUT_LINES
    if len(head) > MAX_OUTPUT:
        head, cut = head[:MAX_OUTPUT], True
    return head, cut


def diff_lines(old: str, new: str) -> tuple[list[list[str]], bool]:
    """A line diff of ``old`` -> ``new`` as ``[op, text]`` pairs (op ``+``, ``-`` or `` ``),
    with at most one line of context around changes; and whether it was cut short."""
    a, b = old.splitlines(), new.splitlines()
    out: list[list[str]] = []
    for group in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_grouped_opcodes(1):
        if out:
            out.append([" ", "…"])
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [[" ", _clip(ln, MAX_LINE)] for ln in a[i1:i2]]
                continue
            if tag in ("replace", "delete"):
                out += [["-", _clip(ln, MAX_LINE)] for ln in a[i1:i2]]
            if tag in ("replace", "insert"):
                out += [["+", _clip(ln, MAX_LINE)] for ln in b[j1:j2]]
    return out[:MAX_DIFF_LINES], len(out) > MAX_DIFF_LINES


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(_str(b.get("text")) for b in content if isinstance(b, dict) and b.get("type") == "text")
    return ""


def _questions(tool_input: Mapping[str, Any]) -> tuple[str, list[str]]:
    """The question text and the choices of an AskUserQuestion call (its first question)."""
    raw = tool_input.get("questions")
    first = raw[0] if isinstance(raw, list) and raw and isinstance(raw[0], dict) else {}
    options = first.get("options")
    choices = (
        [_clip(_str(o.get("label")), 200) for o in options if isinstance(o, dict)] if isinstance(options, list) else []
    )
    return _clip(_str(first.get("question")) or "Claude Code asks a question", 1000), choices[:MAX_CHOICES]


def message_item(text: str) -> dict[str, Any]:
    """What Claude Code said, as a feed item."""
    return {"type": "message", "text": _clip(text.strip(), MAX_TEXT)}


def error_item(text: str) -> dict[str, Any]:
    """An API error Claude Code recorded instead of an answer."""
    return {"type": "error", "text": _clip(text.strip(), MAX_TEXT)}


def tool_item(tool_use_id: str, tool: str, tool_input: Mapping[str, Any]) -> dict[str, Any]:
    """The card of one tool call: a diff for a file change, the command for Bash, the question
    and its choices for AskUserQuestion, else the tool's most telling argument."""
    item: dict[str, Any] = {"type": "tool", "id": tool_use_id, "tool": _clip(tool, 100)}
    if tool == QUESTION_TOOL:
        question, choices = _questions(tool_input)
        return {**item, "type": "question", "by": "claude", "text": question, "choices": choices}
    path = _str(tool_input.get("file_path")) or _str(tool_input.get("notebook_path"))
    if tool in FILE_TOOLS and path:
        item["path"] = _clip(path, 500)
        if tool == "Write":
            diff, cut = diff_lines("", _str(tool_input.get("content")))
        elif tool == "MultiEdit" and isinstance(tool_input.get("edits"), list):
            diff, cut = [], False
            for edit in tool_input["edits"]:
                if isinstance(edit, dict):
                    part, part_cut = diff_lines(_str(edit.get("old_string")), _str(edit.get("new_string")))
                    diff += ([[" ", "…"]] if diff else []) + part
                    cut = cut or part_cut
            cut, diff = cut or len(diff) > MAX_DIFF_LINES, diff[:MAX_DIFF_LINES]
        else:
            diff, cut = diff_lines(
                _str(tool_input.get("old_string")),
                _str(tool_input.get("new_string")) or _str(tool_input.get("new_source")),
            )
        item["diff"] = diff
        if cut:
            item["diff_truncated"] = True
        return item
    if tool == "Bash":
        item["command"] = _clip(_str(tool_input.get("command")), 1000)
        if tool_input.get("description"):
            item["description"] = _clip(_str(tool_input.get("description")), 300)
        return item
    for key in ("file_path", "notebook_path", "path", "pattern", "url", "query", "prompt", "description"):
        value = _str(tool_input.get(key))
        if value:
            item["target"] = _clip(value, 500)
            break
    return item


def result_item(tool_use_id: str, content: Any, *, is_error: bool, extra: Any = None) -> dict[str, Any]:
    """How a tool call ended: ok or not, a command's exit code when known, the output's head.

    ``extra`` is the entry's ``toolUseResult`` (Claude Code's structured result: stdout and
    stderr for Bash, the answers for AskUserQuestion)."""
    text = _text_of(content)
    item: dict[str, Any] = {"type": "result", "id": tool_use_id, "ok": not is_error}
    details = extra if isinstance(extra, dict) else {}
    answers = details.get("answers")
    if isinstance(answers, dict) and answers:
        item["answer"] = _clip("; ".join(_str(v) for v in answers.values() if isinstance(v, str)), 1000)
    elif (found := _ANSWERED.findall(text)) and text.startswith("User has answered"):
        item["answer"] = _clip("; ".join(a for _q, a in found), 1000)
    if "stdout" in details or "stderr" in details:
        text = "\n".join(x for x in (_str(details.get("stdout")), _str(details.get("stderr"))) if x) or text
    code = _EXIT_CODE.search(text[:200]) if is_error else None
    if code is not None:
        item["exit_code"] = int(code.group(1))
    elif "stdout" in details and not is_error and not details.get("interrupted"):
        item["exit_code"] = 0
    if details.get("interrupted"):
        item["interrupted"] = True
    if is_error and text.startswith(REJECTED):
        item["rejected"] = True
    head, cut = _head(text.strip())
    if head:
        item["output"] = head
    if cut:
        item["output_truncated"] = True
    return item


def items_from_entry(entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The activity items of one transcript entry, in order (none for bookkeeping lines)."""
    kind = entry.get("type")
    message = entry.get("message")
    if kind not in ("assistant", "user") or not isinstance(message, dict) or entry.get("isCompactSummary"):
        return []
    content = message.get("content")
    blocks = [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []
    items: list[dict[str, Any]] = []
    if kind == "assistant":
        if entry.get("isApiErrorMessage"):
            return [error_item(_text_of(content))]
        for b in blocks:
            if b.get("type") == "text" and _str(b.get("text")).strip():
                items.append(message_item(_str(b.get("text"))))
            elif b.get("type") == "tool_use":
                raw = b.get("input")
                items.append(tool_item(_str(b.get("id")), _str(b.get("name")), raw if isinstance(raw, dict) else {}))
        return items
    for b in blocks:
        if b.get("type") == "tool_result":
            items.append(
                result_item(
                    _str(b.get("tool_use_id")),
                    b.get("content"),
                    is_error=bool(b.get("is_error")),
                    extra=entry.get("toolUseResult"),
                )
            )
    return items


__all__ = ["diff_lines", "error_item", "items_from_entry", "message_item", "result_item", "tool_item"]
