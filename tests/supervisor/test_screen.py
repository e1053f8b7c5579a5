"""The screen classifier against the corpus of real screens, and against the live CLI."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from autocode.core.files import Tree
from autocode.supervisor.claude.transcript import TranscriptReader, transcript_path
from autocode.supervisor.screen import DIALOG_ACCEPT, Screen, ScreenState, classify, read_screen
from tests.fakes.claude_rig import ClaudeRig
from tests.fakes.claude_tmux import wait_until
from tests.fakes.fake_anthropic import bash, text, write
from tests.supervisor.conftest import needs_cli

SCREENS = Path(__file__).resolve().parents[1] / "fixtures" / "screens"
PACKAGE = json.loads((Path(__file__).resolve().parents[2] / "tools" / "claude-code" / "package.json").read_text())
PINNED: str = PACKAGE["dependencies"]["@anthropic-ai/claude-code"]


def _rel(rig: ClaudeRig, path: Path) -> PurePosixPath:
    return PurePosixPath(path.relative_to(rig.tmp).as_posix())


def _corpus() -> list[Any]:
    cases = []
    for expected in sorted(SCREENS.glob("*/expected.json")):
        for name, state in json.loads(expected.read_text()).items():
            cases.append(pytest.param(expected.parent / name, state, id=f"{expected.parent.name}/{name}"))
    return cases


def test_corpus_exists_for_the_pinned_version() -> None:
    expected = SCREENS / PINNED / "expected.json"
    assert expected.exists(), f"no screen corpus for {PINNED}: run tools/claude-code/capture.py"
    states = set(json.loads(expected.read_text()).values())
    wanted = {s.value for s in ScreenState} - {"unknown"}
    assert wanted <= states, f"states without a real sample: {wanted - states}"


@pytest.mark.parametrize(("path", "state"), _corpus())
def test_corpus_screen_classifies_to_its_expected_state(path: Path, state: str) -> None:
    assert classify(path.read_text()) is ScreenState(state)


def _screen(name: str) -> str:
    return (SCREENS / PINNED / name).read_text()


@pytest.mark.parametrize(
    ("name", "details"),
    [
        (
            "permission-write-create.txt",
            {"question": "Do you want to create new.txt?", "tool": "Create file", "target": "notes/new.txt"},
        ),
        (
            "permission-edit.txt",
            {"question": "Do you want to make this edit to app.py?", "tool": "Edit file", "target": "app.py"},
        ),
        (
            "permission-bash-auto.txt",
            {"question": "Do you want to proceed?", "tool": "Bash command", "target": "git push origin main"},
        ),
        ("permission-bash-narrow.txt", {"target": "python3 -m pytest -q tests/test_module_with_a_long_name.py"}),
        ("retrying-attempt-3.txt", {"attempt": 3, "max_attempts": 10, "error": "500 Internal server error"}),
        ("error-400.txt", {"error": "API Error: 400 Invalid request: prompt is malformed"}),
        ("error-401.txt", {"error": "Invalid API key · Fix external API key"}),
        ("interrupted-prompt-restored.txt", {"input_text": "SLOW please"}),
        ("interrupted-bash.txt", {"interrupted": True, "input_text": None}),
        ("rejected-write.txt", {"rejected": True}),
        ("idle-ctrl-c-once.txt", {"exit_pending": True}),
        ("idle-turn-finished.txt", {"turn_finished": True, "mode": "accept edits on"}),
        ("idle-start-ask.txt", {"turn_finished": False, "mode": "manual mode on", "input_text": None}),
        ("idle-start-bypass.txt", {"mode": "bypass permissions on"}),
        ("trust-dialog.txt", {"selected": "No, exit"}),
        ("key-dialog.txt", {"selected": "No (recommended)"}),
        ("bypass-dialog.txt", {"selected": "No, exit"}),
        ("permission-edit.txt", {"selected": "Yes"}),
        ("question-ask-user.txt", {"selected": "SQLite", "question": "Which database should we use?"}),
        ("plan-approval.txt", {"selected": "Yes, and switch to default (ask each time) for this session"}),
        ("dialog-auto-mode-unavailable.txt", {"question": "Auto mode can't check actions in this session"}),
        ("busy-auto-compacting.txt", {"compacting": True}),
        ("busy-running-bash.txt", {"compacting": False}),
    ],
)
def test_details_read_off_real_screens(name: str, details: dict[str, Any]) -> None:
    screen = read_screen(_screen(name))
    for key, value in details.items():
        assert getattr(screen, key) == value, key


def test_permission_options_keep_their_order() -> None:
    screen = read_screen(_screen("permission-bash-auto.txt"))
    assert screen.options[0] == "Yes" and screen.options[-1] == "No"


def test_exited_screen_gives_the_session_to_resume() -> None:
    screen = read_screen(_screen("exited-slash-exit.txt"))
    assert screen.state is ScreenState.EXITED
    assert screen.resume_session_id is not None and len(screen.resume_session_id) == 36


def test_an_old_error_above_the_latest_prompt_is_not_the_current_state() -> None:
    assert classify(_screen("idle-after-error-recovered.txt")) is ScreenState.IDLE


def test_blank_and_foreign_screens() -> None:
    assert classify("") is ScreenState.UNKNOWN
    assert classify("\n\n   \n") is ScreenState.UNKNOWN
    assert classify("some log line\nroot@host:/work# ") is ScreenState.EXITED


def test_a_relaunch_below_an_old_farewell_is_not_exited() -> None:
    text_ = _screen("exited-slash-exit.txt").rstrip() + "\n" + _screen("idle-start-ask.txt")
    assert classify(text_) is ScreenState.IDLE


def test_model_text_that_looks_like_a_question_is_not_a_menu() -> None:
    lines = _screen("idle-turn-finished.txt").splitlines()
    rule = max(i for i, ln in enumerate(lines) if ln.startswith("─" * 20)) - 2
    fake_talk = ["● Here is the plan:", "  Do you want to proceed?", "  1. Yes", "  2. No", "  Exit plan mode?"]
    assert classify("\n".join(lines[:rule] + fake_talk + lines[rule:])) is ScreenState.IDLE


def test_old_text_above_the_window_is_ignored() -> None:
    idle = _screen("idle-start-ask.txt")
    old_dialog = _screen("permission-edit.txt")
    assert classify(old_dialog + "\n" + "filler line\n" * 40 + idle) is ScreenState.IDLE


# --------------------------------------------------------------------------- live


def _hooks(rig: ClaudeRig) -> list[dict[str, Any]]:
    if not rig.hooks_file.exists():
        return []
    return [json.loads(line) for line in rig.hooks_file.read_text().splitlines() if line.strip()]


def _events(rig: ClaudeRig) -> list[str]:
    return [e["hook_event_name"] for e in _hooks(rig)]


def _state(rig: ClaudeRig, state: ScreenState) -> Any:
    return lambda s: classify(s) is state


def _changed_from(before: Screen) -> Callable[[str], bool]:
    return lambda s: read_screen(s) != before


@needs_cli
def test_real_cli_goes_idle_busy_idle_and_reports_through_hooks_and_transcript(rig: ClaudeRig) -> None:
    sid = str(uuid.uuid4())
    rig.fake.on_prompt("STEP-1", write("a.txt", "alpha\n", stream_delay=1.5), text("done with step one"))
    rig.launch("bypass", session_id=sid, ready=_state(rig, ScreenState.IDLE))

    rig.tmux.submit("Please do STEP-1")
    rig.wait(_state(rig, ScreenState.BUSY), "busy")
    rig.wait(lambda s: classify(s) is ScreenState.IDLE and "done with step one" in s, "idle again")
    assert (rig.work / "a.txt").read_text() == "alpha\n"

    wait_until(lambda: "Stop" in _events(rig), 10, what="Stop hook")
    hooks = _hooks(rig)
    assert {"SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop"} <= set(_events(rig))
    pre = next(e for e in hooks if e["hook_event_name"] == "PreToolUse")
    assert pre["tool_name"] == "Write"
    assert pre["tool_input"]["file_path"] == str(rig.work / "a.txt")
    assert all(e["session_id"] == sid for e in hooks)
    expected_transcript = transcript_path(rig.config, rig.work, sid)
    assert {e["transcript_path"] for e in hooks} == {str(expected_transcript)}
    assert next(e for e in hooks if e["hook_event_name"] == "Stop")["last_assistant_message"] == "done with step one"

    reader = TranscriptReader(Tree(rig.tmp), _rel(rig, expected_transcript))
    calls: list[tuple[str, str | None]] = []
    texts: list[str] = []

    def drained() -> bool:  # the transcript may lag the screen a little
        update = reader.read()
        calls.extend((c.tool, c.target) for c in update.tool_calls)
        texts.extend(update.assistant_texts)
        return "done with step one" in texts

    wait_until(drained, 5, what="the final answer in the transcript")
    assert calls == [("Write", str(rig.work / "a.txt"))]
    assert reader.usage.input_tokens > 0 and reader.usage.output_tokens > 0
    assert len(reader.seen_message_ids) == 2  # two model calls, however many lines they took
    assert not reader.read()  # nothing new: the offset moved past everything


@needs_cli
def test_real_cli_permission_prompt_is_seen_on_screen_and_in_hooks(rig: ClaudeRig) -> None:
    rig.fake.on_prompt("SHELL", bash("echo hi > b.txt", "Write b"), text("Shell done."))
    rig.launch("ask", ready=_state(rig, ScreenState.IDLE))
    rig.tmux.submit("SHELL please")
    screen = read_screen(rig.wait(_state(rig, ScreenState.PERMISSION), "permission question"))
    assert screen.tool == "Bash command" and screen.target == "echo hi > b.txt"
    wait_until(lambda: "PermissionRequest" in _events(rig), 5, what="PermissionRequest hook")

    rig.press("1", lambda s: classify(s) is not ScreenState.PERMISSION, "approve")
    rig.wait(lambda s: classify(s) is ScreenState.IDLE and "Shell done." in s, "idle")
    assert (rig.work / "b.txt").read_text() == "hi\n"


@needs_cli
def test_real_cli_api_error_shows_as_error_and_fires_stop_failure(rig: ClaudeRig) -> None:
    rig.fake.fail(500, times=100, should_retry=False, message="Internal server error")
    rig.launch("ask", ready=_state(rig, ScreenState.IDLE))
    rig.tmux.submit("hello")
    screen = read_screen(rig.wait(_state(rig, ScreenState.ERROR), "error"))
    assert screen.error is not None and "500" in screen.error
    wait_until(lambda: "StopFailure" in _events(rig), 5, what="StopFailure hook")
    assert "Stop" not in _events(rig)  # an API error ends the turn without a Stop hook


@needs_cli
def test_real_cli_resume_continues_the_same_transcript(rig: ClaudeRig) -> None:
    sid = str(uuid.uuid4())
    rig.fake.on_prompt("FIRST", text("first answer"))
    rig.fake.on_prompt("SECOND", text("second answer"))
    rig.launch("bypass", session_id=sid, ready=_state(rig, ScreenState.IDLE))
    rig.tmux.submit("FIRST")
    rig.wait(lambda s: classify(s) is ScreenState.IDLE and "first answer" in s, "first turn")
    rig.tmux.submit("/exit")
    assert read_screen(rig.wait(_state(rig, ScreenState.EXITED), "exit")).resume_session_id == sid

    rig.tmux.kill()
    rig.launch("bypass", resume_session_id=sid, ready=_state(rig, ScreenState.IDLE))
    rig.tmux.submit("SECOND")
    rig.wait(lambda s: classify(s) is ScreenState.IDLE and "second answer" in s, "second turn")
    last = rig.fake.calls()[-1]
    assert "FIRST" in json.dumps(last.messages)  # the model saw the earlier turn
    # The transcript may lag the screen a little: poll it too.
    reader = TranscriptReader(Tree(rig.tmp), _rel(rig, transcript_path(rig.config, rig.work, sid)))
    texts: list[str] = []

    def second_answer_read() -> bool:
        texts.extend(reader.read().assistant_texts)
        return "second answer" in texts

    wait_until(
        second_answer_read,
        5,
        what="second answer in the transcript",
    )
    assert texts == ["first answer", "second answer"]
    starts = [e.get("source") for e in _hooks(rig) if e["hook_event_name"] == "SessionStart"]
    assert starts == ["startup", "resume"]


@needs_cli
@pytest.mark.parametrize(
    ("state", "launch"),
    [
        (ScreenState.TRUST_DIALOG, {"policy": "ask", "trust": False}),
        (ScreenState.KEY_DIALOG, {"policy": "ask", "approve_key": False}),
        (ScreenState.BYPASS_DIALOG, {"policy": "bypass", "skip_bypass_prompt": False}),
    ],
)
def test_real_cli_start_up_dialogs_are_accepted_with_their_keys(
    rig: ClaudeRig, state: ScreenState, launch: dict[str, Any]
) -> None:
    rig.launch(launch.pop("policy"), ready=_state(rig, state), **launch)
    key, accept = DIALOG_ACCEPT[state]
    assert read_screen(rig.tmux.capture()).selected != accept  # the cursor starts on "no"
    # An observe-act loop, not fire-and-forget: under load a key can land late or be dropped
    # while the dialog mounts, so each step is checked on screen before the next one.
    for _ in range(10):
        before = read_screen(rig.tmux.capture())
        if before.state is ScreenState.IDLE:
            return
        if before.state is not ScreenState.UNKNOWN:  # UNKNOWN: a frame between two screens
            assert before.state is state, before
            rig.tmux.send_keys(key if before.selected != accept else "Enter")
        try:
            rig.wait(_changed_from(before), "the dialog to react", 5)
        except TimeoutError:
            continue
    rig.wait(_state(rig, ScreenState.IDLE), "idle after the dialog", timeout=10)


@needs_cli
def test_real_cli_auto_compaction_is_seen_on_screen_and_in_transcript(rig: ClaudeRig) -> None:
    sid = str(uuid.uuid4())
    # The default model's window is 1M tokens: a call that used ~992k makes the next turn
    # compact first.
    rig.fake.on_prompt("FILL", text("Filled.", input_tokens=2_000, cache_read_input_tokens=990_000))
    rig.fake.add(lambda r: r.is_compaction, lambda r: text("<summary>Short.</summary>", stream_delay=2))
    rig.fake.on_prompt("NEXT", text("Next done."))
    rig.launch("bypass", session_id=sid, ready=_state(rig, ScreenState.IDLE))
    rig.tmux.submit("FILL")
    rig.wait(lambda s: classify(s) is ScreenState.IDLE and "Filled." in s, "first turn")
    reader = TranscriptReader(Tree(rig.tmp), _rel(rig, transcript_path(rig.config, rig.work, sid)))
    wait_until(lambda: reader.read().turns_finished, 5, what="turn end in transcript")
    assert reader.last_usage is not None and reader.last_usage.context_tokens == 992_000

    rig.tmux.submit("NEXT")
    assert read_screen(rig.wait(lambda s: read_screen(s).compacting, "compacting")).state is ScreenState.BUSY
    rig.wait(lambda s: classify(s) is ScreenState.IDLE and "Next done." in s, "second turn", timeout=30)
    seen: list[Any] = []

    def compaction_read() -> bool:
        seen.extend(reader.read().compactions)
        return bool(seen)

    wait_until(compaction_read, 5, what="compact boundary")
    assert seen[0].trigger == "auto" and seen[0].pre_tokens == 992_002
    assert "PreCompact" in _events(rig)
