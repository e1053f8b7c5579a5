"""The decision model keeps facts in MEMORY.md with its `remember` tool; the next decision sees them.

Real nanobot AgentLoop against the scripted OpenAI-style endpoint; the file is read back from disk.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from autocode.supervisor import memory
from autocode.supervisor.brain import Brain
from tests.brain.conftest import Recorder
from tests.fakes.fake_openai import FakeOpenAI, call, reply

FACT = "MEMORY-FACT-31: the tests run with `make check`, not pytest directly"


def test_a_remembered_fact_is_written_and_reaches_the_next_decision(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder, brain_dir: Path
) -> None:
    fake.on_message("STEP-1 finished", call("remember", fact=FACT), reply("Noted how the tests run."))
    fake.on_message("STEP-2 finished", reply("Nothing to do."))
    brain = make_brain()

    first = brain.decide("STEP-1 finished. Claude said: `make check` passes.", recorder)
    assert first.actions == [("remember", {"fact": FACT})]
    assert first.steering == []  # memory is the brain's own, not the supervisor's
    assert recorder.calls == []
    assert fake.calls()[1].tool_results[0]["content"] == "remembered"
    assert (brain_dir / "MEMORY.md").read_text() == f"# Memory\n\n- {FACT}\n"
    assert FACT not in fake.calls()[0].system_text  # not known before it was remembered

    brain.decide("STEP-2 finished.", recorder)
    assert FACT in fake.calls()[-1].system_text
    # a fresh brain (a restarted supervisor) reads it from the file too
    make_brain().decide("STEP-2 finished.", recorder)
    assert FACT in fake.calls()[-1].system_text


def test_the_same_fact_twice_is_kept_once(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder, brain_dir: Path
) -> None:
    fake.on_message(
        "twice",
        call("remember", fact=FACT),
        call("remember", fact="  " + FACT.upper() + ". "),
        reply("Done."),
    )
    make_brain().decide("twice", recorder)
    assert [r["content"] for r in fake.calls()[-1].tool_results] == ["remembered", "already remembered"]
    assert memory.facts((brain_dir / "MEMORY.md").read_text()) == [FACT]


def test_a_memory_file_that_is_a_link_is_neither_read_nor_written_through(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder, brain_dir: Path, tmp_path: Path
) -> None:
    host = tmp_path / "host-file.txt"
    host.write_text("HOST-SECRET-77\n")
    (brain_dir / "MEMORY.md").unlink()
    os.symlink(host, brain_dir / "MEMORY.md")
    fake.on_message("link", call("remember", fact=FACT), reply("Done."))
    fake.on_message("again", reply("Done."))
    brain = make_brain()

    brain.decide("link", recorder)
    assert "HOST-SECRET-77" not in fake.calls()[0].system_text
    assert host.read_text() == "HOST-SECRET-77\n"  # not written through
    # the link was replaced by the brain's own file
    assert not (brain_dir / "MEMORY.md").is_symlink()
    assert memory.facts((brain_dir / "MEMORY.md").read_text()) == [FACT]
    brain.decide("again", recorder)
    assert "HOST-SECRET-77" not in fake.calls()[-1].system_text


def test_a_memory_folder_that_is_a_link_is_refused(
    fake: FakeOpenAI, make_brain: Callable[..., Brain], recorder: Recorder, tmp_path: Path
) -> None:
    host_dir = tmp_path / "host-dir"
    host_dir.mkdir()
    (host_dir / "MEMORY.md").write_text("# Memory\n- HOST-SECRET-88\n")
    linked = tmp_path / "linked-brain"
    os.symlink(host_dir, linked)
    fake.on_message("folder", call("remember", fact=FACT), reply("Done."))

    make_brain(brain_dir=linked).decide("folder", recorder)
    assert "HOST-SECRET-88" not in fake.calls()[0].system_text
    assert fake.calls()[1].tool_results[0]["content"].startswith("error: the memory cannot be written")
    assert (host_dir / "MEMORY.md").read_text() == "# Memory\n- HOST-SECRET-88\n"


@pytest.mark.parametrize(
    ("before", "fact", "after", "answer"),
    [
        ("# Memory\n", "Use SQLite", "# Memory\n\n- Use SQLite\n", "remembered"),
        ("", "Use SQLite", "# Memory\n\n- Use SQLite\n", "remembered"),
        ("# Memory\n\n- Use SQLite\n", "Use   sqlite.", None, "already remembered"),
        (
            "# Memory\n\n- Use SQLite\n",
            "Tests:\n  make check",
            "# Memory\n\n- Use SQLite\n- Tests: make check\n",
            "remembered",
        ),
        ("# Memory\nfree text line\n", "B", "# Memory\n\n- free text line\n- B\n", "remembered"),
        ("# Memory\n", "   ", None, "error: the fact is empty"),
        (
            "# Memory\n",
            "x" * (memory.MAX_FACT_CHARS + 1),
            None,
            f"error: keep a fact under {memory.MAX_FACT_CHARS} characters",
        ),
    ],
)
def test_add_fact(before: str, fact: str, after: str | None, answer: str) -> None:
    assert memory.add_fact(before, fact) == (after, answer)


def test_a_full_memory_forgets_its_oldest_facts() -> None:
    text = memory.render([f"fact {i:02d} " + "y" * 40 for i in range(10)])
    new, answer = memory.add_fact(text, "the newest fact", limit=300)
    assert new is not None and len(new) <= 300
    kept = memory.facts(new)
    assert kept[-1] == "the newest fact" and kept[0].startswith("fact 05")
    assert answer == "remembered (the 5 oldest facts were forgotten to make room)"
