"""A text block is reported once, even when its message is written twice or read again."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

from autocode.core.files import Tree
from autocode.supervisor.claude.transcript import TranscriptReader


def _line(msg_id: str, text: str) -> str:
    entry = {
        "type": "assistant",
        "sessionId": "s",
        "message": {
            "id": msg_id,
            "content": [{"type": "text", "text": text}],
            "usage": {"input_tokens": 10, "output_tokens": 2},
        },
    }
    return json.dumps(entry) + "\n"


def test_repeated_message_lines_give_one_text_and_one_usage(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(_line("m1", "1. Plan step") + _line("m1", "1. Plan step") + _line("m2", "1. Plan step"))
    reader = TranscriptReader(Tree(tmp_path), PurePosixPath("t.jsonl"))
    update = reader.read()
    assert update.assistant_texts == ["1. Plan step", "1. Plan step"]  # m1 once, m2 once
    assert update.usage.input_tokens == 20
    again = TranscriptReader(Tree(tmp_path), PurePosixPath("t.jsonl"))
    again.seen_texts = set(reader.seen_texts)
    again.seen_message_ids = set(reader.seen_message_ids)
    assert again.read().assistant_texts == []
