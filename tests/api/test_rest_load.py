"""REST under load: the project list costs the same queries for 1 project as for 10, and health
answers from the background refresh without probing the machine per request."""

from __future__ import annotations

import threading
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session

from autocode.models import AgentInstance
from autocode.wiring import AppContext
from tests.conftest import Account, make_agent, make_project


def _request_queries(client: TestClient, path: str, account: Account) -> tuple[int, Any]:
    """The SQL statements run by request handlers (FastAPI's worker threads) for one GET."""
    ctx: AppContext = client.app.state.ctx  # type: ignore[attr-defined]
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        # Background jobs (watchdog, notifier, event pump) run in asyncio's threads, not these.
        if threading.current_thread().name.startswith("AnyIO worker"):
            seen.append(statement)

    event.listen(ctx.engine, "before_cursor_execute", count)
    try:
        r = client.get(path, headers=account.headers)
    finally:
        event.remove(ctx.engine, "before_cursor_execute", count)
    assert r.status_code == 200, r.text
    return len(seen), r.json()


def _add_instances(client: TestClient, project_id: int, count: int) -> int:
    ctx: AppContext = client.app.state.ctx  # type: ignore[attr-defined]
    with Session(ctx.engine) as session:
        rows = [AgentInstance(project_id=project_id, status="exited") for _ in range(count)]
        session.add_all(rows)
        session.commit()
        last = rows[-1].id
    assert last is not None
    return last


def test_the_project_list_does_not_query_per_project(client: TestClient, admin: Account) -> None:
    agent = make_agent(client, admin)
    first = make_project(client, admin, agent["id"], name="P0")
    latest = {first["id"]: _add_instances(client, first["id"], 2)}
    one, body = _request_queries(client, "/api/projects", admin)
    assert one > 0 and len(body) == 1
    for i in range(1, 10):
        project = make_project(client, admin, agent["id"], name=f"P{i}")
        if i % 2:
            latest[project["id"]] = _add_instances(client, project["id"], i % 3 + 1)
    ten, body = _request_queries(client, "/api/projects", admin)
    assert len(body) == 10
    assert ten == one, f"{ten} queries for 10 projects, {one} for 1"
    # Each project still shows its latest instance, and those without one none.
    assert {p["id"]: (p["instance"] or {}).get("id") for p in body} == {p["id"]: latest.get(p["id"]) for p in body}
    # The agent's project list is built the same way.
    by_agent, rows = _request_queries(client, f"/api/agents/{agent['id']}/projects", admin)
    assert len(rows) == 10 and by_agent <= ten + 1


def test_health_does_not_touch_the_database_per_request(client: TestClient, admin: Account) -> None:
    queries, body = _request_queries(client, "/api/health", admin)
    assert queries == 0 and body["status"] == "ok"
