"""nanobot's private API the brain relies on is still where brain/compat.py expects it.

An upgrade of nanobot-ai that moves one of these names fails here, naming it, instead of
breaking a decision at run time.
"""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import pytest

from autocode.supervisor.brain import compat

REPO = Path(__file__).resolve().parents[2]


def test_the_installed_nanobot_is_the_pinned_one() -> None:
    assert importlib.metadata.version("nanobot-ai") == compat.PINNED
    pyproject = (REPO / "pyproject.toml").read_text()
    assert f'"nanobot-ai=={compat.PINNED}"' in pyproject


def test_every_private_name_compat_uses_still_exists() -> None:
    assert compat.missing_private_api() == []


def test_a_moved_name_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compat, "PRIVATE_API", (*compat.PRIVATE_API, ("nanobot.agent.loop", "AgentLoop._gone")))
    assert compat.missing_private_api() == ["nanobot.agent.loop.AgentLoop._gone"]


def test_nanobot_is_imported_only_in_compat() -> None:
    brain = REPO / "backend" / "autocode" / "supervisor" / "brain"
    importing = sorted(
        p.name for p in brain.glob("*.py") if re.search(r"^\s*(from|import) nanobot\b", p.read_text(), re.M)
    )
    assert importing == ["compat.py"]
