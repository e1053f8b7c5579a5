"""Wide terminals get a side panel from Claude Code; the screen reader looks past it."""

from __future__ import annotations

from autocode.supervisor.screen import ScreenState, read_screen, strip_side_panel

PANEL = "│ one.txt (untracked)"


def _with_panel(lines: list[str], width: int = 110) -> str:
    return "\n".join(f"{line:<{width}}{PANEL}" for line in lines)


def test_a_permission_question_beside_a_side_panel_is_recognised() -> None:
    lines = [
        "● Write(one.txt)",
        "",
        "─" * 100,
        " Overwrite file",
        " one.txt",
        "╌" * 100,
        " Do you want to overwrite one.txt?",
        " ❯ 1. Yes",
        "   2. Yes, and switch to accept edits (shift+tab)",
        "   3. No",
        "",
        " Esc to cancel · Tab to amend",
    ]
    screen = read_screen(_with_panel(lines))
    assert screen.state is ScreenState.PERMISSION
    assert screen.question == "Do you want to overwrite one.txt?"
    assert screen.options[0] == "Yes"


def test_text_without_a_panel_is_unchanged() -> None:
    text = "a │ b\nplain line\n"
    assert strip_side_panel(text) == text
