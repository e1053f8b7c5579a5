"""A project's tmux session is named by the runtime's one rule, whatever the name lengths."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from autocode.runtime.base import validate_name
from tests.conftest import Account, make_agent, make_project


def test_the_longest_username_and_slug_give_a_session_the_runtime_accepts(
    client: TestClient, make_user: Callable[..., Account]
) -> None:
    user = make_user("u" * 32)
    agent = make_agent(client, user)
    project = make_project(client, user, agent["id"], name="n" * 60, slug="s" * 40)
    assert validate_name(project["tmux_session"], "session") == project["tmux_session"]
    other = make_project(client, user, agent["id"], name="n" * 60, slug="s" * 39 + "t")
    assert other["tmux_session"] != project["tmux_session"]
