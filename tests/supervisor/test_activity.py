"""Transcript entries -> activity items (autocode.supervisor.activity), by a table of entries shaped
like the lines Claude Code 2.1.330 writes (fields as captured from the real CLI against the fake
endpoint: tests/fakes/fake_anthropic.py), and the reader that carries them to the supervisor."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from autocode.core.files import Tree
from autocode.supervisor import activity
from autocode.supervisor.claude.transcript import TranscriptReader

W = "/data/users/ann/projects/shop"
BASE = {
    "parentUuid": "p",
    "isSidechain": False,
    "userType": "external",
    "cwd": W,
    "sessionId": "s1",
    "version": "2.1.330",
    "gitBranch": "",
    "uuid": "u",
    "timestamp": "2026-12-02T18:00:00.000Z",
}


def assistant(*blocks: dict[str, Any], msg_id: str = "msg_1", **extra: Any) -> dict[str, Any]:
    return {
        **BASE,
        "type": "assistant",
        "requestId": "req_1",
        **extra,
        "message": {
            "id": msg_id,
            "type": "message",
            "role": "assistant",
            "model": "claude-test",
            "content": list(blocks),
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 12, "output_tokens": 3},
        },
    }


def result(tool_use_id: str, content: Any, *, is_error: bool = False, tool_use_result: Any = None) -> dict[str, Any]:
    block: dict[str, Any] = {"tool_use_id": tool_use_id, "type": "tool_result", "content": content}
    if is_error:
        block["is_error"] = True
    entry = {**BASE, "type": "user", "message": {"role": "user", "content": [block]}}
    if tool_use_result is not None:
        entry["toolUseResult"] = tool_use_result
    return entry


def tool_use(tool_id: str, name: str, tool_input: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tool_use", "id": tool_id, "name": name, "input": tool_input}


REJECTED = (
    "The user doesn't want to proceed with this tool use. The tool use was rejected (eg. if it was a file "
    "edit, the new_string was NOT written to the file). STOP what you are doing and wait for the user to "
    "tell you how to proceed."
)
ASKED = {
    "questions": [
        {
            "question": "Which colour?",
            "header": "Colour",
            "multiSelect": False,
            "options": [{"label": "Red", "description": "warm"}, {"label": "Blue", "description": "cold"}],
        }
    ]
}

CASES: list[tuple[str, dict[str, Any], list[dict[str, Any]]]] = [
    (
        "a message",
        assistant({"type": "text", "text": "  I will create notes.txt.\n"}),
        [{"type": "message", "text": "I will create notes.txt."}],
    ),
    ("an empty text block says nothing", assistant({"type": "text", "text": "  "}), []),
    (
        "a new file: every line added",
        assistant(tool_use("toolu_1", "Write", {"file_path": f"{W}/notes.txt", "content": "a\nb\n"})),
        [
            {
                "type": "tool",
                "id": "toolu_1",
                "tool": "Write",
                "path": f"{W}/notes.txt",
                "diff": [["+", "a"], ["+", "b"]],
            }
        ],
    ),
    (
        "an edit: removed and added lines with one line of context",
        assistant(
            tool_use(
                "toolu_2",
                "Edit",
                {
                    "file_path": f"{W}/app.py",
                    "old_string": "x = 1\ny = 2\nz = 3\nw = 4",
                    "new_string": "x = 1\ny = 20\nz = 3\nw = 4",
                    "replace_all": False,
                },
            )
        ),
        [
            {
                "type": "tool",
                "id": "toolu_2",
                "tool": "Edit",
                "path": f"{W}/app.py",
                "diff": [[" ", "x = 1"], ["-", "y = 2"], ["+", "y = 20"], [" ", "z = 3"]],
            }
        ],
    ),
    (
        "text then a command in one message, in order",
        assistant(
            {"type": "text", "text": "Running the tests."},
            tool_use("toolu_3", "Bash", {"command": "npm test", "description": "Run the tests"}),
        ),
        [
            {"type": "message", "text": "Running the tests."},
            {"type": "tool", "id": "toolu_3", "tool": "Bash", "command": "npm test", "description": "Run the tests"},
        ],
    ),
    (
        "a file read: its path",
        assistant(tool_use("toolu_6", "Read", {"file_path": f"{W}/notes.txt"})),
        [{"type": "tool", "id": "toolu_6", "tool": "Read", "target": f"{W}/notes.txt"}],
    ),
    (
        "another tool: its telling argument",
        assistant(tool_use("toolu_4", "Grep", {"pattern": "TODO", "path": W})),
        [{"type": "tool", "id": "toolu_4", "tool": "Grep", "target": W}],
    ),
    (
        "a question Claude Code asks with its choices",
        assistant(tool_use("toolu_5", "AskUserQuestion", ASKED)),
        [
            {
                "type": "question",
                "id": "toolu_5",
                "tool": "AskUserQuestion",
                "by": "claude",
                "text": "Which colour?",
                "choices": ["Red", "Blue"],
            }
        ],
    ),
    (
        "a command that worked: exit 0 and its output",
        result(
            "toolu_3",
            "3 passed",
            tool_use_result={"stdout": "3 passed", "stderr": "", "interrupted": False, "isImage": False},
        ),
        [{"type": "result", "id": "toolu_3", "ok": True, "exit_code": 0, "output": "3 passed"}],
    ),
    (
        "a command that failed: its exit code",
        result(
            "toolu_3",
            "Exit code 2\nls: cannot access 'nope': No such file or directory",
            is_error=True,
            tool_use_result="Error: Exit code 2\nls: cannot access 'nope': No such file or directory",
        ),
        [
            {
                "type": "result",
                "id": "toolu_3",
                "ok": False,
                "exit_code": 2,
                "output": "Exit code 2\nls: cannot access 'nope': No such file or directory",
            }
        ],
    ),
    (
        "a file written",
        result(
            "toolu_1",
            f"File created successfully at: {W}/notes.txt (file state is current in your context — no "
            "need to Read it back)",
            tool_use_result={
                "type": "create",
                "filePath": f"{W}/notes.txt",
                "content": "a\nb\n",
                "structuredPatch": [],
                "originalFile": None,
                "userModified": False,
            },
        ),
        [
            {
                "type": "result",
                "id": "toolu_1",
                "ok": True,
                "output": f"File created successfully at: {W}/notes.txt (file "
                "state is current in your context — no need to Read it back)",
            }
        ],
    ),
    (
        "a file edited",
        result(
            "toolu_2",
            f"The file {W}/app.py has been updated successfully.",
            tool_use_result={
                "filePath": f"{W}/app.py",
                "oldString": "y = 2",
                "newString": "y = 20",
                "structuredPatch": [
                    {
                        "oldStart": 1,
                        "oldLines": 3,
                        "newStart": 1,
                        "newLines": 3,
                        "lines": [" x = 1", "-y = 2", "+y = 20", " z = 3"],
                    }
                ],
                "userModified": False,
                "replaceAll": False,
            },
        ),
        [
            {
                "type": "result",
                "id": "toolu_2",
                "ok": True,
                "output": f"The file {W}/app.py has been updated successfully.",
            }
        ],
    ),
    (
        "a tool call you declined",
        result("toolu_1", REJECTED, is_error=True, tool_use_result=f"Error: {REJECTED}"),
        [{"type": "result", "id": "toolu_1", "ok": False, "rejected": True, "output": REJECTED}],
    ),
    (
        "the answer to Claude Code's question",
        result(
            "toolu_5",
            'User has answered your questions: "Which colour?"="Blue". You can now continue with the '
            "user's answers in mind.",
            tool_use_result={**ASKED, "answers": {"Which colour?": "Blue"}},
        ),
        [
            {
                "type": "result",
                "id": "toolu_5",
                "ok": True,
                "answer": "Blue",
                "output": 'User has answered your questions: "Which colour?"="Blue". You can now continue with the '
                "user's answers in mind.",
            }
        ],
    ),
    (
        "the answer read from the words when no structured result",
        result("toolu_5", 'User has answered your questions: "Which colour?"="Red".'),
        [
            {
                "type": "result",
                "id": "toolu_5",
                "ok": True,
                "answer": "Red",
                "output": 'User has answered your questions: "Which colour?"="Red".',
            }
        ],
    ),
    (
        "an API error Claude Code recorded",
        assistant({"type": "text", "text": "API Error: 500 Internal server error"}, isApiErrorMessage=True),
        [{"type": "error", "text": "API Error: 500 Internal server error"}],
    ),
    (
        "a prompt typed by the supervisor is not activity",
        {**BASE, "type": "user", "message": {"role": "user", "content": "Step 1 of 2: Create notes.txt"}},
        [],
    ),
    (
        "bookkeeping lines are not activity",
        {**BASE, "type": "system", "subtype": "turn_duration", "durationMs": 900},
        [],
    ),
    (
        "a summary after compaction is not activity",
        {
            **BASE,
            "type": "user",
            "isCompactSummary": True,
            "message": {"role": "user", "content": [{"type": "text", "text": "This session is being continued"}]},
        },
        [],
    ),
    (
        "junk shapes give nothing and never raise",
        {**BASE, "type": "assistant", "message": {"content": [7, None, {"type": "tool_use", "input": "x"}]}},
        [{"type": "tool", "id": "", "tool": ""}],
    ),
]


@pytest.mark.parametrize(("entry", "expected"), [(e, x) for _, e, x in CASES], ids=[c[0] for c in CASES])
def test_items_from_entry(entry: dict[str, Any], expected: list[dict[str, Any]]) -> None:
    assert activity.items_from_entry(entry) == expected


def test_a_long_file_gives_a_bounded_diff_and_says_so() -> None:
    content = "".join(f"line {i}\n" for i in range(500))
    [item] = activity.items_from_entry(
        assistant(tool_use("t", "Write", {"file_path": "/w/big.txt", "content": content}))
    )
    assert len(item["diff"]) == activity.MAX_DIFF_LINES and item["diff_truncated"] is True
    assert item["diff"][0] == ["+", "line 0"]


def test_long_output_and_long_lines_are_cut() -> None:
    many = "\n".join(f"line {i}" for i in range(100))
    [item] = activity.items_from_entry(result("t", many, tool_use_result={"stdout": many, "stderr": ""}))
    assert item["output"].split("\n") == [f"line {i}" for i in range(activity.MAX_OUTPUT_LINES)]
    assert item["output_truncated"] is True
    wide = "\n".join("y" * 1000 for _ in range(100))
    [item] = activity.items_from_entry(result("t", wide, tool_use_result={"stdout": wide, "stderr": ""}))
    assert all(len(ln) <= activity.MAX_LINE for ln in item["output"].split("\n"))
    assert item["output_truncated"] is True and len(item["output"]) <= activity.MAX_OUTPUT
    [msg] = activity.items_from_entry(assistant({"type": "text", "text": "z" * 10_000}))
    assert len(msg["text"]) == activity.MAX_TEXT


def test_an_edit_far_apart_shows_both_places_with_a_gap() -> None:
    old = "\n".join(f"l{i}" for i in range(20))
    new = old.replace("l2\n", "L2\n").replace("l17", "L17")
    diff, cut = activity.diff_lines(old, new)
    assert not cut
    assert diff == [
        [" ", "l1"],
        ["-", "l2"],
        ["+", "L2"],
        [" ", "l3"],
        [" ", "…"],
        [" ", "l16"],
        ["-", "l17"],
        ["+", "L17"],
        [" ", "l18"],
    ]


def test_the_reader_hands_activity_in_order_once(tmp_path: Path) -> None:
    """A message written twice (one line per content block) is one item; results follow their calls."""
    lines = [
        assistant({"type": "text", "text": "Creating it."}),
        assistant({"type": "text", "text": "Creating it."}),  # the same message id, written again
        assistant(tool_use("toolu_1", "Write", {"file_path": "/w/a.txt", "content": "a\n"})),
        result("toolu_1", "File created successfully at: /w/a.txt"),
    ]
    (tmp_path / "t.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    reader = TranscriptReader(Tree(tmp_path), PurePosixPath("t.jsonl"))
    kinds = [(i["type"], i.get("text") or i.get("id")) for i in reader.read().activity]
    assert kinds == [("message", "Creating it."), ("tool", "toolu_1"), ("result", "toolu_1")]
    assert reader.read().activity == []
