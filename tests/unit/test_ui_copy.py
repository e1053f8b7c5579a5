"""What the UI says about the server must match what the server does."""

from __future__ import annotations

import re
from pathlib import Path

from autocode.supervisor.brain import READ_HELPERS, enabled_read_helpers

COPY = Path(__file__).resolve().parents[2] / "frontend" / "src" / "lib" / "copy.ts"


def _const(name: str) -> str:
    source = COPY.read_text()
    m = re.search(rf"export const {name}\s*=\s*((?:\"[^\"]*\"\s*\+?\s*)+);", source)
    assert m, f"{name} not found in {COPY}"
    return "".join(re.findall(r"\"([^\"]*)\"", m.group(1)))


def test_tools_hint_names_exactly_what_the_tools_list_enables() -> None:
    hint = _const("TOOLS_HINT")
    names = re.search(r"DECISION_MODEL_TOOLS = \[([^\]]*)\]", COPY.read_text())
    assert names
    listed = re.findall(r"\"(\w+)\"", names.group(1))
    assert sorted(listed) == sorted(set(READ_HELPERS.values()))
    for helper in listed:
        assert helper in hint
    # the names the old hint promised enable nothing
    assert enabled_read_helpers(["Bash", "Edit", "WebFetch"]) == []
    assert not re.search(r"\b(Bash|Edit|WebFetch)\b", hint)


def test_delete_dialogs_say_the_workspace_is_deleted() -> None:
    for name in ("DELETE_PROJECT_BODY", "DELETE_AGENT_BODY"):
        body = _const(name)
        assert "workspace files are deleted" in body and "stay" not in body
