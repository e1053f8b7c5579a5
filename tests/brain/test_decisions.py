"""The brain drives the Steering tools through a real nanobot AgentLoop against a fake endpoint."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from autocode.supervisor.brain import MEMORY_TOOLS, STEERING_TOOLS, Brain
from tests.brain.conftest import API_KEY, IDENTITY, Recorder
from tests.fakes.fake_openai import FakeOpenAI, call, calls, reply


def test_marks_the_step_done_with_its_summary(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder
) -> None:
    fake.on_message(
        "STEP-3 finished",
        call("mark_step_done", summary="pytest: 12 passed"),
        reply("The tests pass, so step 3 is done."),
    )
    decision = make_brain().decide("STEP-3 finished. Claude said: all 12 tests pass.", recorder)

    assert recorder.calls == [("mark_step_done", {"summary": "pytest: 12 passed"})]
    assert decision.actions == [("mark_step_done", {"summary": "pytest: 12 passed"})]
    assert decision.text == "The tests pass, so step 3 is done."
    assert decision.input_tokens > 0 and decision.output_tokens > 0
    chats = fake.calls()
    assert len(chats) == 2
    assert chats[1].tool_results[0]["content"] == "ok: mark_step_done"


def test_sends_text_then_answers(fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder) -> None:
    fake.on_message(
        "asks which database",
        call("send_text", text="Use SQLite."),
        call("press_key", key="Enter"),
        reply("Answered the question from the architecture."),
    )
    decision = make_brain().decide("Claude Code asks which database to use.", recorder)

    assert recorder.calls == [("send_text", {"text": "Use SQLite."}), ("press_key", {"key": "Enter"})]
    assert [name for name, _ in decision.actions] == ["send_text", "press_key"]
    assert decision.text == "Answered the question from the architecture."


def test_parallel_calls_run_in_order(fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder) -> None:
    fake.on_message(
        "two things", calls(call("send_text", text="first"), call("ask_human", question="second?")), reply("Both.")
    )
    decision = make_brain().decide("two things", recorder)
    assert recorder.calls == [("send_text", {"text": "first"}), ("ask_human", {"question": "second?"})]
    assert decision.steering == decision.actions


def test_revises_the_plan_with_a_list_of_steps(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder
) -> None:
    steps = [
        {"title": "Add a login page", "detail": "Form + POST /login; test with pytest"},
        {"title": "Add logout", "detail": "Clear the cookie"},
    ]
    fake.on_message(
        "plan no longer fits", call("revise_plan", steps=steps, reason="auth is missing"), reply("Revised.")
    )
    decision = make_brain().decide("The plan no longer fits: plan no longer fits.", recorder)

    assert recorder.calls == [("revise_plan", {"steps": steps, "reason": "auth is missing"})]
    assert decision.actions == [("revise_plan", {"steps": steps, "reason": "auth is missing"})]


def test_identity_is_the_system_prompt(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder, brain_dir: Path
) -> None:
    (brain_dir / "MEMORY.md").write_text("# Memory\n- MEMORY-FACT-9: tests run with `make test`\n")
    make_brain().decide("hello", recorder)
    [chat] = fake.calls()
    assert [m["role"] for m in chat.messages] == ["system", "user"]
    system = chat.system_text
    assert system.startswith(IDENTITY.strip())
    assert "MEMORY-FACT-9" in system
    # nanobot's bundled identity, bootstrap files and skills are replaced, not appended to
    assert "SOUL.md" not in system and "exec" not in system and "skill" not in system.lower()
    assert chat.prompt == "hello"


def test_uses_the_base_url_key_and_model(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder
) -> None:
    make_brain().decide("hello", recorder)
    [chat] = fake.calls()
    assert chat.path == "/v1/chat/completions"
    assert chat.authorization == f"Bearer {API_KEY}"
    assert chat.body["model"] == "gpt-test"  # the provider prefix names the route, not the model
    assert chat.stream and chat.include_usage


def test_an_unprefixed_model_goes_to_the_base_url_as_is(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder
) -> None:
    make_brain(model="meta-llama/Llama-3.1-8B-Instruct").decide("hello", recorder)
    [chat] = fake.calls()
    assert chat.body["model"] == "meta-llama/Llama-3.1-8B-Instruct"


def test_the_session_persists_between_decisions(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder, brain_dir: Path
) -> None:
    brain = make_brain()
    fake.on_message("FIRST", reply("first answer"))
    brain.decide("FIRST situation", recorder)
    brain.decide("SECOND situation", recorder)
    last = fake.calls()[-1]
    assert "FIRST situation" in [m.get("content") for m in last.messages]
    assert last.prompt == "SECOND situation"
    sessions = brain_dir / "sessions"
    assert list(sessions.rglob("*.jsonl"))


def test_a_steering_exception_reaches_the_caller(fake: FakeOpenAI, make_brain: Callable[..., Brain]) -> None:
    class Stop(Exception):
        pass

    rec = Recorder(fail={"send_text": Stop("stop requested")})
    fake.on_message("go", call("send_text", text="x"), call("mark_step_done", summary="never"), reply("no"))
    with pytest.raises(Stop):
        make_brain().decide("go", rec)
    assert [n for n, _ in rec.calls] == ["send_text"]


def test_the_model_sees_every_steering_tool(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder
) -> None:
    make_brain().decide("hello", recorder)
    [chat] = fake.calls()
    assert sorted(chat.tool_names) == sorted(STEERING_TOOLS + MEMORY_TOOLS)
