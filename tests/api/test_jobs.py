"""The job API's refusals (what happens before any supervisor starts)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.conftest import Account, make_agent, make_project


def _token(client: TestClient, account: Account) -> dict[str, str]:
    r = client.post("/api/tokens", json={"name": "script"}, headers=account.headers)
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_a_job_that_cannot_start_leaves_no_project(client: TestClient, make_user: Callable[..., Account]) -> None:
    alice = make_user("alice")
    agent = make_agent(client, alice)
    script = _token(client, alice)
    r = client.post("/api/jobs", json={"agent_id": agent["id"], "goal": "Build a shop"}, headers=script)
    assert r.status_code == 422, r.text
    assert "Anthropic API key" in r.json()["detail"]
    assert client.get("/api/projects", headers=alice.headers).json() == []


def test_job_refusals(client: TestClient, make_user: Callable[..., Account]) -> None:
    alice = make_user("alice")
    bob = make_user("bob")
    alices_agent = make_agent(client, alice)
    alices_project = make_project(client, alice, alices_agent["id"])
    bob_script = _token(client, bob)
    r = client.post("/api/jobs", json={"agent_id": alices_agent["id"], "goal": "x"}, headers=bob_script)
    assert r.status_code == 404 and r.json()["detail"] == "Agent not found", r.text
    for path in (
        f"/api/jobs/{alices_project['id']}",
        f"/api/jobs/{alices_project['id']}/result.zip",
        "/api/jobs/999999",
    ):
        assert client.get(path, headers=bob_script).status_code == 404, path

    script = _token(client, alice)
    # A project that was never started is no running job: its status reads, its files download.
    status = client.get(f"/api/jobs/{alices_project['id']}", headers=script).json()
    assert status["status"] == "created" and status["steps_total"] == 2 and status["current_step"] is None
    assert client.get(f"/api/jobs/{alices_project['id']}/result.zip", headers=script).status_code == 200

    before = client.get("/api/projects", headers=script).json()
    r = client.post(
        "/api/jobs", headers=script, json={"agent_id": alices_agent["id"], "goal": "Clone it", "git_url": "file:///etc"}
    )
    assert r.status_code == 422, r.text
    # A job from a repository refused before its clone began (no Claude key yet) leaves nothing.
    r = client.post(
        "/api/jobs",
        headers=script,
        json={"agent_id": alices_agent["id"], "goal": "Clone it", "git_url": "https://example.com/a.git"},
    )
    assert r.status_code == 422 and "key" in r.json()["detail"], r.text
    assert client.get("/api/projects", headers=script).json() == before
    for body in (
        {"goal": "x"},
        {"agent_id": alices_agent["id"]},
        {"agent_id": alices_agent["id"], "goal": ""},
        {"agent_id": alices_agent["id"], "goal": "x", "plan": []},
        {"agent_id": alices_agent["id"], "goal": "x", "unknown": 1},
        {"agent_id": 0, "goal": "x"},
    ):
        assert client.post("/api/jobs", json=body, headers=script).status_code == 422, body
    assert client.get("/api/jobs/0", headers=script).status_code == 422
    assert client.post("/api/jobs", json={"agent_id": alices_agent["id"], "goal": "x"}).status_code == 401
