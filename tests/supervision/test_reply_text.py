"""A reply from the needs-help card becomes the keys Claude Code's menu takes."""

from __future__ import annotations

import pytest

from autocode.supervisor.policy import reply_keys, reply_text


@pytest.mark.parametrize(
    ("message", "text", "keys"),
    [
        ({"decision": "approve"}, "yes", ("1", None)),
        ({"decision": "deny"}, "no", ("Escape", None)),
        ({"choice": 2}, "2", ("2", None)),
        ({"choice": 9}, "9", ("9", None)),
        ({"text": "  use the other folder "}, "use the other folder", ("Escape", "use the other folder")),
        ({"text": "yes, and add tests"}, "yes, and add tests", ("1", "and add tests")),
    ],
)
def test_replies_become_menu_keys(message: dict[str, object], text: str, keys: tuple[str | None, str | None]) -> None:
    assert reply_text(message) == text
    assert reply_keys(text) == keys


@pytest.mark.parametrize(
    "message",
    [{}, {"text": "   "}, {"decision": "maybe"}, {"choice": 0}, {"choice": 10}, {"choice": True}, {"choice": "2"}],
)
def test_messages_without_an_answer_are_ignored(message: dict[str, object]) -> None:
    assert reply_text(message) is None
