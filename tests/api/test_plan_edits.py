"""Editing a plan through the API: pending steps change, steps that happened never do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from autocode.models import Project
from tests.conftest import Account, make_agent, make_project


def finish_steps(client: TestClient, project_id: int, *, done: int, status: str = "completed") -> None:
    """Arrange a project as a run leaves it: the first `done` steps done with their summaries."""
    engine = client.app.state.ctx.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        project = session.get(Project, project_id)
        assert project is not None
        project.implementation_plan = [
            {**s, "status": "done", "summary": f"did {s['title']}"} if i < done else s
            for i, s in enumerate(project.implementation_plan)
        ]
        project.status = status
        project.current_step = done
        session.add(project)
        session.commit()


def setup(
    client: TestClient, make_user: Callable[..., Account], steps: list[str], done: int
) -> tuple[Account, dict[str, Any]]:
    alice = make_user("alice")
    agent = make_agent(client, alice)
    project = make_project(client, alice, agent["id"], implementation_plan=[{"title": t} for t in steps])
    finish_steps(client, project["id"], done=done)
    return alice, project


def titles(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s["title"], s["status"]) for s in body["implementation_plan"]]


def test_appending_a_step_to_a_completed_project(client: TestClient, make_user: Callable[..., Account]) -> None:
    alice, p = setup(client, make_user, ["Scaffold", "Tests"], done=2)
    r = client.post(
        f"/api/projects/{p['id']}/steps", json={"title": "Add a README", "detail": "with usage"}, headers=alice.headers
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert titles(body) == [("Scaffold", "done"), ("Tests", "done"), ("Add a README", "pending")]
    assert body["implementation_plan"][0]["summary"] == "did Scaffold"
    assert body["implementation_plan"][2]["detail"] == "with usage"
    assert body["current_step"] == 2
    # the plan the agent reads (CLAUDE.md) names the new step
    assert client.get(f"/api/projects/{p['id']}", headers=alice.headers).json() == body


def test_edit_remove_and_reorder_touch_only_pending_steps(
    client: TestClient, make_user: Callable[..., Account]
) -> None:
    alice, p = setup(client, make_user, ["A", "B", "C", "D"], done=1)
    url = f"/api/projects/{p['id']}/steps"
    r = client.put(f"{url}/2", json={"title": "B2", "detail": "better"}, headers=alice.headers)
    assert r.status_code == 200 and titles(r.json())[1] == ("B2", "pending")
    r = client.post(f"{url}/reorder", json={"order": [4, 2, 3]}, headers=alice.headers)
    assert r.status_code == 200, r.text
    assert titles(r.json()) == [("A", "done"), ("D", "pending"), ("B2", "pending"), ("C", "pending")]
    r = client.delete(f"{url}/4", headers=alice.headers)
    assert r.status_code == 200 and titles(r.json()) == [("A", "done"), ("D", "pending"), ("B2", "pending")]

    # the step that happened is refused with a message saying why
    r = client.put(f"{url}/1", json={"title": "rewritten"}, headers=alice.headers)
    assert r.status_code == 409 and r.json()["detail"] == "Step 1 is done: only pending steps can be changed"
    r = client.delete(f"{url}/1", headers=alice.headers)
    assert r.status_code == 409 and "only pending steps" in r.json()["detail"]
    r = client.post(f"{url}/reorder", json={"order": [1, 2, 3]}, headers=alice.headers)
    assert r.status_code == 422
    assert r.json()["detail"] == "order must list every pending step exactly once (pending steps: 2, 3)"
    r = client.put(f"{url}/9", json={"title": "x"}, headers=alice.headers)
    assert r.status_code == 404 and r.json()["detail"] == "There is no step 9 (the plan has 3 steps)"
    r = client.post(url, json={"title": ""}, headers=alice.headers)
    assert r.status_code == 422
    after = client.get(f"/api/projects/{p['id']}", headers=alice.headers).json()
    assert after["implementation_plan"][0] == {
        "title": "A",
        "detail": "",
        "status": "done",
        "summary": "did A",
        "verified": None,
        "review": None,
        "answers": [],
        "started_at": None,
    }


def test_replacing_the_plan_keeps_done_steps(client: TestClient, make_user: Callable[..., Account]) -> None:
    alice, p = setup(client, make_user, ["Scaffold", "Tests", "Docs"], done=2)
    r = client.put(
        f"/api/projects/{p['id']}", json={"implementation_plan": [{"title": "Deploy"}]}, headers=alice.headers
    )
    assert r.status_code == 200, r.text
    assert titles(r.json()) == [("Scaffold", "done"), ("Tests", "done"), ("Deploy", "pending")]
    assert r.json()["implementation_plan"][1]["summary"] == "did Tests"
    assert r.json()["current_step"] == 2


def test_a_running_project_plan_is_not_edited_under_the_supervisor(
    client: TestClient, make_user: Callable[..., Account]
) -> None:
    alice, p = setup(client, make_user, ["A", "B"], done=1)
    finish_steps(client, p["id"], done=1, status="running")
    r = client.post(f"/api/projects/{p['id']}/steps", json={"title": "C"}, headers=alice.headers)
    assert r.status_code == 409
    assert r.json()["detail"] == "Stop the project before changing its plan (or send Claude Code an instruction)"


def test_steps_of_another_users_project_are_not_found(client: TestClient, make_user: Callable[..., Account]) -> None:
    alice, p = setup(client, make_user, ["A"], done=0)
    bob = make_user("bob")
    assert client.post(f"/api/projects/{p['id']}/steps", json={"title": "x"}, headers=bob.headers).status_code == 404
    assert client.delete(f"/api/projects/{p['id']}/steps/1", headers=bob.headers).status_code == 404
    assert (
        client.post(f"/api/projects/{p['id']}/instructions", json={"text": "x"}, headers=bob.headers).status_code == 404
    )


def test_an_instruction_needs_a_running_project(client: TestClient, make_user: Callable[..., Account]) -> None:
    alice, p = setup(client, make_user, ["A"], done=0)
    r = client.post(f"/api/projects/{p['id']}/instructions", json={"text": "Use tabs"}, headers=alice.headers)
    assert r.status_code == 409 and r.json()["detail"] == "Project is not running: add a step to the plan instead"
    r = client.post(f"/api/projects/{p['id']}/instructions", json={"text": ""}, headers=alice.headers)
    assert r.status_code == 422


def test_start_refuses_a_plan_with_nothing_left(client: TestClient, make_user: Callable[..., Account]) -> None:
    alice, p = setup(client, make_user, ["A"], done=1)
    r = client.post(f"/api/projects/{p['id']}/start", headers=alice.headers)
    assert r.status_code == 409 and r.json()["detail"] == "Every step of the plan is done; add steps to continue"
