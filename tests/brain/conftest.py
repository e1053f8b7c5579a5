"""Fixtures for the supervisor brain: a fake OpenAI endpoint, a project folder, a Steering recorder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from autocode.core.files import Tree
from autocode.supervisor.brain import Brain, BrainConfig, ProjectFiles
from tests.fakes.fake_openai import FakeOpenAI

IDENTITY = "# Identity\nIDENTITY-MARKER-7f3a: a careful supervisor of the project Demo.\n"
API_KEY = "sk-test-brain-key"


class Recorder:
    """A Steering that records every call and answers "ok"; `fail` makes one method raise."""

    def __init__(self, fail: dict[str, BaseException] | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail = fail or {}

    def _record(self, name: str, **kw: Any) -> str:
        self.calls.append((name, kw))
        if name in self.fail:
            raise self.fail[name]
        return f"ok: {name}"

    def send_text(self, text: str) -> str:
        return self._record("send_text", text=text)

    def press_key(self, key: str) -> str:
        return self._record("press_key", key=key)

    def mark_step_done(self, summary: str) -> str:
        return self._record("mark_step_done", summary=summary)

    def mark_step_failed(self, reason: str) -> str:
        return self._record("mark_step_failed", reason=reason)

    def revise_plan(self, steps: list[dict[str, str]], reason: str) -> str:
        return self._record("revise_plan", steps=steps, reason=reason)

    def ask_human(self, question: str) -> str:
        return self._record("ask_human", question=question)


@pytest.fixture(scope="session", autouse=True)
def nanobot_imported() -> None:
    """Pay nanobot's import (1 s idle, several on a loaded machine) once, outside the timed parts."""
    import nanobot.agent.loop
    import nanobot.providers.anthropic_provider
    import nanobot.providers.openai_compat_provider  # noqa: F401
    import openai  # noqa: F401


@pytest.fixture(autouse=True)
def empty_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as f:
        yield f


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "projects" / "demo"
    ws.mkdir(parents=True)
    (ws / "src").mkdir()
    (ws / "src" / "app.py").write_text("def main():\n    return 'READ-ME-42'\n")
    (tmp_path / "projects" / "secret.txt").write_text("SECRET-OUTSIDE\n")
    return ws


@pytest.fixture
def brain_dir(tmp_path: Path) -> Path:
    """The decision model's own folder: the server's, outside the user's tree (tmp_path)."""
    d = tmp_path.parent / f"{tmp_path.name}-brain"
    d.mkdir()
    (d / "MEMORY.md").write_text("# Memory\n")
    return d


@pytest.fixture
def files(tmp_path: Path, workspace: Path) -> ProjectFiles:
    """The project folder as the brain's read helpers reach it: through the user's tree."""
    return ProjectFiles(Tree(tmp_path), PurePosixPath("projects/demo"))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def make_brain(fake: FakeOpenAI, brain_dir: Path, files: ProjectFiles) -> Iterator[Callable[..., Brain]]:
    brains: list[Brain] = []

    def make(**overrides: Any) -> Brain:
        kw: dict[str, Any] = dict(
            model="openai/gpt-test",
            api_key=API_KEY,
            base_url=fake.url,
            identity=IDENTITY,
            brain_dir=brain_dir,
            files=files,
            timeout_seconds=20,
        )
        kw.update(overrides)
        brain = Brain(BrainConfig(**kw))
        brains.append(brain)
        return brain

    yield make
    for b in brains:
        b.close()
