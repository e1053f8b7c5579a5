"""The template's model picks nanobot's provider: anthropic/... through the Anthropic Messages API."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from autocode.supervisor.brain import MEMORY_TOOLS, STEERING_TOOLS, Brain
from tests.brain.conftest import API_KEY, IDENTITY, Recorder
from tests.fakes.fake_anthropic import FakeAnthropic, Reply, ToolUse, text


@pytest.fixture
def anthropic() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as f:
        yield f


def test_anthropic_model_uses_the_messages_api_at_the_base_url(
    anthropic: FakeAnthropic, make_brain: Callable[..., Brain], recorder: Recorder
) -> None:
    anthropic.on_prompt(
        "STEP-2 over", Reply(blocks=[ToolUse("mark_step_done", {"summary": "built"})]), text("Step 2 built.")
    )
    brain = make_brain(model="anthropic/claude-test-4", base_url=anthropic.url)
    decision = brain.decide("STEP-2 over: the build passed.", recorder)

    assert recorder.calls == [("mark_step_done", {"summary": "built"})]
    assert decision.text == "Step 2 built."
    first = anthropic.calls()[0]
    assert first.headers.get("x-api-key") == API_KEY
    assert first.body["model"] == "claude-test-4"
    assert set(first.tool_names) == set(STEERING_TOOLS + MEMORY_TOOLS)
    assert first.system_text.startswith(IDENTITY.strip())


def test_anthropic_auth_error_is_unavailable(
    anthropic: FakeAnthropic, make_brain: Callable[..., Brain], recorder: Recorder
) -> None:
    from autocode.supervisor.brain import BrainUnavailable

    anthropic.fail(401, times=10, message="invalid x-api-key")
    with pytest.raises(BrainUnavailable, match="invalid x-api-key"):
        make_brain(model="anthropic/claude-test-4", base_url=anthropic.url).decide("hello", recorder)
