"""Agent and project CRUD with the workspace laid out on disk."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from autocode.core.config import Settings
from tests.conftest import Account, make_agent, make_project


def test_agent_crud_writes_rules_file(
    client: TestClient, settings: Settings, make_user: Callable[..., Account]
) -> None:
    alice = make_user("alice")
    agent = make_agent(
        client,
        alice,
        identity="You build web apps.",
        tools=["read_file", "search"],
        mcp_servers={"files": {"command": "mcp-files", "args": ["--ro"]}},
        global_rules="Always write tests.",
        permission_policy="ask",
    )
    assert agent["tools"] == ["read_file", "search"] and agent["permission_policy"] == "ask"
    rules = settings.data_path / "agents" / str(agent["id"]) / "RULES.md"
    assert rules.read_text() == "Always write tests."
    r = client.put(
        f"/api/agents/{agent['id']}",
        json={"global_rules": "Tests first.", "model": "openai/gpt-5.3-codex"},
        headers=alice.headers,
    )
    assert r.status_code == 200
    assert r.json()["model"] == "openai/gpt-5.3-codex" and r.json()["name"] == "Web developer"
    assert rules.read_text() == "Tests first."
    assert [a["id"] for a in client.get("/api/agents", headers=alice.headers).json()] == [agent["id"]]
    assert client.get(f"/api/agents/{agent['id']}", headers=alice.headers).json()["global_rules"] == "Tests first."
    assert client.delete(f"/api/agents/{agent['id']}", headers=alice.headers).status_code == 204
    assert not rules.exists()
    assert client.get(f"/api/agents/{agent['id']}", headers=alice.headers).status_code == 404


def test_agent_input_is_validated(client: TestClient, make_user: Callable[..., Account]) -> None:
    alice = make_user("alice")
    bad_bodies = [
        {"name": "x"},
        {"name": "", "model": "anthropic/x"},
        {"name": "x", "model": "no-provider"},
        {"name": "x", "model": "a/b", "permission_policy": "yolo"},
        {"name": "x", "model": "a/b", "tools": "read_file"},
        {"name": "x", "model": "a/b", "mcp_servers": {"m": {"args": []}}},
        {"name": "x", "model": "a/b", "workspace_base": "../../etc"},
        {"name": "x", "model": "a/b", "unknown": 1},
    ]
    for body in bad_bodies:
        r = client.post("/api/agents", json=body, headers=alice.headers)
        assert r.status_code == 422, (body, r.text)
        assert "detail" in r.json()
    agent = make_agent(client, alice)
    r = client.put(f"/api/agents/{agent['id']}", json={"name": None}, headers=alice.headers)
    assert r.status_code == 422


def test_project_crud_lays_out_and_removes_the_workspace(
    client: TestClient, settings: Settings, make_user: Callable[..., Account]
) -> None:
    alice = make_user("alice")
    agent = make_agent(client, alice, global_rules="Use type hints.", mcp_servers={"m": {"url": "http://x"}})
    project = make_project(client, alice, agent["id"], architecture="FastAPI + SQLite")
    root = settings.data_path / "users" / "alice" / "projects" / "eshop"
    assert project["slug"] == "eshop" and Path(project["workspace_path"]) == root
    assert project["tmux_session"] == "alice-eshop"
    assert project["status"] == "created" and project["current_step"] == 0
    assert [s["status"] for s in project["implementation_plan"]] == ["pending", "pending"]
    claude_md = (root / ".claude" / "CLAUDE.md").read_text()
    assert "A small shop" in claude_md and "FastAPI + SQLite" in claude_md
    # The decision model's files are the server's, outside the user's tree.
    brain = settings.data_path / "run" / "projects" / str(project["id"]) / "brain"
    assert not (root / ".nanobot").exists()
    for name in ("config.json", "IDENTITY.md", "MEMORY.md", "HISTORY.md"):
        assert (brain / name).is_file(), name
    identity = (brain / "IDENTITY.md").read_text()
    assert "Use type hints." in identity and "1. [ ] Scaffold" in identity and "FastAPI + SQLite" in identity
    config = json.loads((brain / "config.json").read_text())
    assert config["agents"]["defaults"]["model"] == "anthropic/claude-opus-4-6"
    assert config["tools"]["mcpServers"] == {"m": {"url": "http://x"}}
    # No repository in the tree: checkpoints live in the server's own repository.
    assert not (root / ".git").exists()

    second = make_project(client, alice, agent["id"])
    assert second["slug"] == "eshop-2"
    dup = client.post(
        f"/api/agents/{agent['id']}/projects", json={"name": "Other", "slug": "eshop"}, headers=alice.headers
    )
    assert dup.status_code == 409

    r = client.put(
        f"/api/projects/{project['id']}",
        json={"description": "A bigger shop", "implementation_plan": [{"title": "Only step"}]},
        headers=alice.headers,
    )
    assert r.status_code == 200
    assert r.json()["implementation_plan"] == [
        {
            "title": "Only step",
            "detail": "",
            "status": "pending",
            "summary": None,
            "verified": None,
            "review": None,
            "answers": [],
            "started_at": None,
        }
    ]
    assert "A bigger shop" in (root / ".claude" / "CLAUDE.md").read_text()
    assert "1. [ ] Only step" in (brain / "IDENTITY.md").read_text()

    listed = client.get(f"/api/agents/{agent['id']}/projects", headers=alice.headers).json()
    assert [p["slug"] for p in listed] == ["eshop", "eshop-2"]
    assert len(client.get("/api/projects", headers=alice.headers).json()) == 2

    assert client.delete(f"/api/projects/{project['id']}", headers=alice.headers).status_code == 204
    assert not root.exists()
    assert client.get(f"/api/projects/{project['id']}", headers=alice.headers).status_code == 404
    # deleting the agent takes its remaining projects and their workspaces with it
    assert client.delete(f"/api/agents/{agent['id']}", headers=alice.headers).status_code == 204
    assert not Path(second["workspace_path"]).exists()


def test_project_input_is_validated(client: TestClient, make_user: Callable[..., Account]) -> None:
    alice = make_user("alice")
    agent = make_agent(client, alice)
    for body in (
        {"description": "no name"},
        {"name": "x", "slug": "Bad.Slug"},
        {"name": "x", "slug": "../up"},
        {"name": "x", "implementation_plan": [{"detail": "no title"}]},
        {"name": "x", "implementation_plan": "do it"},
        {"name": "x", "budget_tokens": 0},
    ):
        r = client.post(f"/api/agents/{agent['id']}/projects", json=body, headers=alice.headers)
        assert r.status_code == 422, (body, r.text)
    weird = make_project(client, alice, agent["id"], name="Ünïcode: shop / v2.0")
    assert weird["slug"] == "unicode-shop-v2-0"


def test_logs_are_paged_oldest_first_with_level_filter(client: TestClient, make_user: Callable[..., Account]) -> None:
    from sqlmodel import Session

    from autocode.models import LogLevel
    from autocode.services.projects import add_log

    alice = make_user("alice")
    project = make_project(client, alice, make_agent(client, alice)["id"])
    engine = client.app.state.ctx.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        for i in range(7):
            level = LogLevel.ACTION if i % 2 else LogLevel.INFO
            add_log(session, project_id=project["id"], level=level, message=f"m{i}", data={"i": i})
    url = f"/api/projects/{project['id']}/logs"
    page1 = client.get(url, params={"limit": 3}, headers=alice.headers).json()
    assert [e["message"] for e in page1] == ["m0", "m1", "m2"]
    page2 = client.get(url, params={"after_id": page1[-1]["id"], "limit": 3}, headers=alice.headers).json()
    assert [e["message"] for e in page2] == ["m3", "m4", "m5"]
    actions = client.get(url, params={"level": "action"}, headers=alice.headers).json()
    assert [e["message"] for e in actions] == ["m1", "m3", "m5"] and actions[0]["data"] == {"i": 1}
    assert client.get(url, params={"level": "loud"}, headers=alice.headers).status_code == 422
    assert client.get(url, params={"limit": 0}, headers=alice.headers).status_code == 422
    assert client.get(url, params={"after_id": -1}, headers=alice.headers).status_code == 422


def test_activity_history_pages_only_feed_rows_and_only_for_the_owner(
    client: TestClient, make_user: Callable[..., Account]
) -> None:
    from sqlmodel import Session

    from autocode.models import LogLevel
    from autocode.services.projects import add_log

    alice, bob = make_user("alice"), make_user("bob")
    project = make_project(client, alice, make_agent(client, alice)["id"])
    engine = client.app.state.ctx.engine  # type: ignore[attr-defined]
    rows: list[tuple[LogLevel, str, dict[str, object] | None]] = [
        (LogLevel.INFO, "Step 1 started: Notes", {"step": 1}),
        (LogLevel.INFO, "Claude Code: on it", {"step": 1, "activity": {"type": "message", "text": "on it"}}),
        (LogLevel.ACTION, "Write notes.txt", {"activity": {"type": "tool", "id": "t1", "tool": "Write"}}),
        (LogLevel.AGENT_DECISION, "Approved: Do you want to create notes.txt?", {"reason": "inside"}),
        (LogLevel.INFO, "Supervisor started", None),
        (LogLevel.ACTION, "Write done", {"activity": {"type": "result", "id": "t1", "ok": True}}),
    ]
    with Session(engine) as session:
        for level, message, data in rows:
            add_log(session, project_id=project["id"], level=level, message=message, data=data)
    url = f"/api/projects/{project['id']}/activity"
    first = client.get(url, params={"limit": 2}, headers=alice.headers).json()
    assert [e["message"] for e in first] == ["Claude Code: on it", "Write notes.txt"]
    rest = client.get(url, params={"after_id": first[-1]["id"]}, headers=alice.headers).json()
    assert [e["message"] for e in rest] == ["Approved: Do you want to create notes.txt?", "Write done"]
    # another user learns nothing, not even that the project exists
    assert client.get(url, headers=bob.headers).status_code == 404
    assert client.get(url, params={"limit": 0}, headers=alice.headers).status_code == 422
