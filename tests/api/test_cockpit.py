"""The project page's cockpit through the API: why a project stopped (a kind and its fix),
retrying a failed step, the name and budget edited in place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from autocode.models import Project
from tests.conftest import Account, make_agent, make_project


def arrange(client: TestClient, project_id: int, **fields: Any) -> None:
    """Put a project in the state a run leaves it in (status, reason, plan)."""
    engine = client.app.state.ctx.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        project = session.get(Project, project_id)
        assert project is not None
        for key, value in fields.items():
            setattr(project, key, value)
        session.add(project)
        session.commit()


def setup(client: TestClient, make_user: Callable[..., Account]) -> tuple[Account, dict[str, Any]]:
    alice = make_user("alice")
    agent = make_agent(client, alice)
    return alice, make_project(client, alice, agent["id"])


def test_a_paused_or_failed_project_says_why_and_offers_its_fix(
    client: TestClient, make_user: Callable[..., Account]
) -> None:
    alice, p = setup(client, make_user)
    url = f"/api/projects/{p['id']}"
    assert p["reason"] is None  # created: nothing stopped it
    arrange(
        client, p["id"], status="paused", status_reason="Token budget reached (120 of 100 tokens)", status_kind="budget"
    )
    body = client.get(url, headers=alice.headers).json()
    assert body["reason"] == {
        "kind": "budget",
        "message": "Token budget reached (120 of 100 tokens)",
        "fix": "raise_budget",
        "resume_at": None,
    }
    arrange(
        client,
        p["id"],
        status="failed",
        status_reason="The supervisor crashed 3 times in 10 minutes",
        status_kind="crashed",
    )
    body = client.get(url, headers=alice.headers).json()
    assert (body["reason"]["kind"], body["reason"]["fix"]) == ("crashed", "retry")
    # the dashboard's list carries the same reason
    listed = client.get("/api/projects", headers=alice.headers).json()
    assert [x["reason"] for x in listed] == [body["reason"]]
    arrange(client, p["id"], status="running", status_reason=None, status_kind=None)
    assert client.get(url, headers=alice.headers).json()["reason"] is None


def test_retry_is_only_for_a_failed_project(client: TestClient, make_user: Callable[..., Account]) -> None:
    alice, p = setup(client, make_user)
    r = client.post(f"/api/projects/{p['id']}/retry", headers=alice.headers)
    assert r.status_code == 409
    assert r.json()["detail"] == "Only a failed project has a step to retry; this one is created"
    arrange(client, p["id"], status="paused", status_kind="stopped", status_reason="Stopped by you")
    r = client.post(f"/api/projects/{p['id']}/retry", headers=alice.headers)
    assert r.status_code == 409 and r.json()["detail"].endswith("this one is paused")


def test_a_retry_that_cannot_start_leaves_the_failure_as_it_was(
    client: TestClient, make_user: Callable[..., Account]
) -> None:
    alice, p = setup(client, make_user)
    plan = [{"title": "Scaffold", "status": "done", "summary": "did it"}, {"title": "Tests", "status": "running"}]
    arrange(
        client,
        p["id"],
        status="failed",
        status_kind="crashed",
        current_step=1,
        implementation_plan=plan,
        status_reason="The supervisor crashed 3 times in 10 minutes",
    )
    r = client.post(f"/api/projects/{p['id']}/retry", headers=alice.headers)
    # alice has no Anthropic key: nothing starts, and the plan is not half-reset
    assert r.status_code == 422 and "Anthropic API key" in r.json()["detail"], r.text
    body = client.get(f"/api/projects/{p['id']}", headers=alice.headers).json()
    assert body["status"] == "failed" and body["reason"]["fix"] == "retry"
    assert [s["status"] for s in body["implementation_plan"]] == ["done", "running"]
    logs = client.get(f"/api/projects/{p['id']}/logs", headers=alice.headers).json()
    assert not any(e["message"].startswith("Retrying step") for e in logs)


def test_retry_checks_ownership(client: TestClient, make_user: Callable[..., Account]) -> None:
    alice, p = setup(client, make_user)
    bob = make_user("bob")
    arrange(client, p["id"], status="failed", status_kind="crashed")
    r = client.post(f"/api/projects/{p['id']}/retry", headers=bob.headers)
    assert r.status_code == 404
    r = client.post("/api/projects/999999/retry", headers=alice.headers)
    assert r.status_code == 404


def test_name_and_budget_edit_in_place_with_the_server_rules(
    client: TestClient, make_user: Callable[..., Account]
) -> None:
    alice, p = setup(client, make_user)
    url = f"/api/projects/{p['id']}"
    r = client.put(url, json={"name": "Eshop v2", "budget_tokens": 250_000}, headers=alice.headers)
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["budget_tokens"]) == ("Eshop v2", 250_000)
    for bad in (
        {"name": ""},
        {"name": "x" * 101},
        {"budget_tokens": 0},
        {"budget_tokens": -5},
        {"budget_tokens": "lots"},
    ):
        r = client.put(url, json=bad, headers=alice.headers)
        assert r.status_code == 422, (bad, r.text)
    body = client.get(url, headers=alice.headers).json()
    assert (body["name"], body["budget_tokens"]) == ("Eshop v2", 250_000)
