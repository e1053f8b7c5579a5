"""A brain that cannot reach its model says so (BrainUnavailable), quickly, never as a decision."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from autocode.supervisor.brain import Brain, BrainUnavailable
from tests.brain.conftest import Recorder
from tests.fakes.fake_openai import FakeOpenAI, call, error, refused_url, reply


def _unavailable(brain: Brain, recorder: Recorder, situation: str = "hello") -> tuple[BrainUnavailable, float]:
    started = time.monotonic()
    with pytest.raises(BrainUnavailable) as info:
        brain.decide(situation, recorder)
    return info.value, time.monotonic() - started


def test_endpoint_down_is_unavailable_quickly(make_brain: Callable[..., Brain], recorder: Recorder) -> None:
    exc, seconds = _unavailable(make_brain(base_url=refused_url()), recorder)
    assert seconds < 15
    assert "failed" in str(exc).lower()
    assert recorder.calls == []


def test_connection_closed_without_answer_is_unavailable(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder
) -> None:
    fake.hang_up(times=None)
    _, seconds = _unavailable(make_brain(), recorder)
    assert seconds < 15
    assert len(fake.calls()) >= 1


def test_auth_error_is_unavailable_without_retries(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder
) -> None:
    fake.fail(401, times=None, message="Incorrect API key provided")
    exc, seconds = _unavailable(make_brain(), recorder)
    assert "Incorrect API key" in str(exc)
    assert len(fake.calls()) == 1 and seconds < 5


def test_server_error_is_unavailable_after_bounded_retries(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder
) -> None:
    fake.fail(500, times=None, message="upstream exploded")
    exc, seconds = _unavailable(make_brain(), recorder)
    assert "upstream exploded" in str(exc)
    assert 1 < len(fake.calls()) <= 3 and seconds < 15


def test_a_transient_rate_limit_is_retried(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder
) -> None:
    fake.fail(429, times=1, message="Rate limit reached, retry after 0.1s")
    fake.on_message("hello", call("mark_step_done", summary="ok"), reply("done"))
    decision = make_brain().decide("hello", recorder)
    assert decision.text == "done" and recorder.calls == [("mark_step_done", {"summary": "ok"})]


def test_failure_after_an_action_reports_the_action(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder
) -> None:
    fake.add(
        lambda r: "hello" in r.prompt,
        lambda r: call("send_text", text="try again") if r.turn_step == 0 else error(401, "key revoked"),
    )
    exc, seconds = _unavailable(make_brain(), recorder)
    assert "key revoked" in str(exc)
    assert exc.actions == [("send_text", {"text": "try again"})]
    assert recorder.calls == [("send_text", {"text": "try again"})]
    assert len(fake.calls()) == 2 and seconds < 5


def test_timeout_is_unavailable(fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder) -> None:
    fake.on_message("slow", reply("too late", delay=5))
    exc, seconds = _unavailable(make_brain(timeout_seconds=1), recorder, "slow")
    assert "1s" in str(exc) and seconds < 3


def test_no_api_key_is_unavailable_without_a_request(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder
) -> None:
    exc, _ = _unavailable(make_brain(api_key=None), recorder)
    assert "no API key" in str(exc)
    exc, _ = _unavailable(make_brain(api_key="  "), recorder)
    assert fake.calls() == []


def test_an_unknown_provider_without_base_url_is_unavailable(
    make_brain: Callable[..., Brain], recorder: Recorder
) -> None:
    exc, _ = _unavailable(make_brain(model="mystery/model-1", base_url=None), recorder)
    assert "mystery/model-1" in str(exc)


def test_the_brain_recovers_when_the_endpoint_comes_back(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder
) -> None:
    brain = make_brain()
    rule = fake.fail(500, times=None)
    _unavailable(brain, recorder)
    fake.rules.remove(rule)
    fake.on_message("again", call("mark_step_done", summary="fine"), reply("ok now"))
    assert brain.decide("again", recorder).text == "ok now"


def test_the_brain_answers_again_after_a_timeout(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder
) -> None:
    brain = make_brain(timeout_seconds=1)
    fake.on_message("slow", reply("too late", delay=3))
    _unavailable(brain, recorder, "slow")
    fake.on_message("quick", call("mark_step_done", summary="fast"), reply("quick answer"))
    assert brain.decide("quick", recorder).text == "quick answer"


def test_an_invalid_mcp_config_is_refused_and_reported(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder
) -> None:
    refusals: list[str] = []
    brain = make_brain(mcp_servers={"bad": {"type": "carrier-pigeon"}}, on_refusal=refusals.append)
    fake.on_message("still", call("mark_step_done", summary="ok"), reply("works"))
    assert brain.decide("still works", recorder).text == "works"
    assert len(refusals) == 1 and "MCP server 'bad' not started" in refusals[0]


def test_an_mcp_server_that_does_not_start_leaves_the_steering_tools(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder
) -> None:
    brain = make_brain(mcp_servers={"gone": {"command": "/nonexistent/mcp-server", "args": []}})
    fake.on_message("still", call("mark_step_done", summary="ok"), reply("works"))
    assert brain.decide("still works", recorder).text == "works"
    assert recorder.calls == [("mark_step_done", {"summary": "ok"})]
