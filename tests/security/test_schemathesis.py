"""schemathesis over the server's OpenAPI document: no operation answers 5xx, as admin or user.

Runs against a real `autocode serve` (local runtime) so every operation runs for real,
including those that start supervisors and tmux sessions. Generated cases name mostly
unknown ids; each case that names a project or agent is sent a second time with the caller's
own project/agent id substituted, so the deep paths (files, start/stop, screen, diff) are
exercised too. Operations that end the caller's session (logout-all, user deletion) run as
well; the test signs in again (re-creating the user if an admin case deleted it) when a
token stops working, so later cases still run authenticated.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from schemathesis.core.result import Err

from tests.conftest import ADMIN_PASSWORD, ServerProcess, stop_tmux_servers
from tests.supervision.conftest import _kill_supervisors

USER = "auth-st-user"
USER_PASSWORD = "auth-st-password-1"
MAX_EXAMPLES = int(os.environ.get("AUTOCODE_SCHEMATHESIS_EXAMPLES", "12"))


class Caller:
    """One signed-in account with its own agent and project, restored when a case removed them."""

    def __init__(self, server: ServerProcess, username: str, password: str, admin: Caller | None) -> None:
        self.server = server
        self.username = username
        self.password = password
        self.admin = admin
        self.http = httpx.Client(base_url=server.base, timeout=30)
        self.token = ""
        self.ids: dict[str, int] = {}

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def ensure(self) -> None:
        """A working token, an agent and a project of this caller (made again when gone)."""
        if not self.token or self.http.get("/api/auth/me", headers=self.headers()).status_code != 200:
            self._sign_in()
        agent_id = self.ids.get("agent_id")
        if agent_id is None or self.http.get(f"/api/agents/{agent_id}", headers=self.headers()).status_code != 200:
            r = self.http.post(
                "/api/agents", json={"name": "Dev", "model": "anthropic/claude-x"}, headers=self.headers()
            )
            assert r.status_code == 201, r.text
            self.ids["agent_id"] = r.json()["id"]
            self.ids.pop("project_id", None)
        project_id = self.ids.get("project_id")
        if (
            project_id is None
            or self.http.get(f"/api/projects/{project_id}", headers=self.headers()).status_code != 200
        ):
            r = self.http.post(
                f"/api/agents/{self.ids['agent_id']}/projects",
                json={"name": "Shop", "implementation_plan": [{"title": "One"}]},
                headers=self.headers(),
            )
            assert r.status_code == 201, r.text
            self.ids["project_id"] = r.json()["id"]

    def _sign_in(self) -> None:
        r = self.http.post("/api/auth/login", json={"username": self.username, "password": self.password})
        if r.status_code == 401 and self.admin is not None:  # an admin case deleted, disabled or reset it
            self.admin.ensure()
            users = self.admin.http.get("/api/users", headers=self.admin.headers()).json()
            found = [u["id"] for u in users if u["username"] == self.username]
            if found:
                for path, body, method in (
                    (f"/api/users/{found[0]}", {"disabled": False}, "PATCH"),
                    (f"/api/users/{found[0]}/password", {"password": self.password}, "POST"),
                ):
                    fixed = self.admin.http.request(method, path, json=body, headers=self.admin.headers())
                    assert fixed.status_code in (200, 204), fixed.text
            else:
                made = self.admin.http.post(
                    "/api/users",
                    json={"username": self.username, "password": self.password},
                    headers=self.admin.headers(),
                )
                assert made.status_code == 201, made.text
                self.ids.clear()
            r = self.http.post("/api/auth/login", json={"username": self.username, "password": self.password})
        assert r.status_code == 200, r.text
        self.token = r.json()["access_token"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("schemathesis") / "data"
    # Generated bad logins count against 127.0.0.1; a large allowance keeps sign-ins working.
    proc = ServerProcess(
        data,
        env={
            "AUTOCODE_BRAIN_ENABLED": "false",
            "AUTOCODE_LOGIN_MAX_FAILURES": "100000",
            "AUTOCODE_CLAUDE_COMMAND": "claude-not-installed-here",
        },
    )
    try:
        yield proc
    finally:
        _kill_supervisors(data)
        proc.stop()
        stop_tmux_servers(data, ["admin", USER])


def _operations(server: ServerProcess) -> list[Any]:
    schema = schemathesis.openapi.from_url(f"{server.base}/openapi.json")
    ops: list[Any] = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # a part of our schema schemathesis cannot read
        ops.append(result.ok())
    assert len(ops) >= 25, [op.label for op in ops]
    return ops


def _check(caller: Caller, op: Any, case: Any, failures: list[str]) -> None:
    caller.ensure()
    attempts = [dict(case.path_parameters or {})]
    own = {k: v for k, v in caller.ids.items() if k in (case.path_parameters or {})}
    if own:
        attempts.append({**attempts[0], **own})
    for params in attempts:
        case.path_parameters = params
        response = case.call(base_url=caller.server.base, headers=caller.headers(), timeout=60)
        if response.status_code >= 500:
            failures.append(
                f"{caller.username} {op.label} {params} query={case.query} body={case.body!r:.300}"
                f" -> {response.status_code} {response.text[:300]}"
            )
        caller.ensure()


def _fuzz(op: Any, caller: Caller, failures: list[str]) -> None:
    @hypothesis.given(case=op.as_strategy())
    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )
    def run(case: Any) -> None:
        _check(caller, op, case, failures)

    run()


def test_no_operation_answers_5xx_for_admin_or_user(server: ServerProcess) -> None:
    admin = Caller(server, "admin", ADMIN_PASSWORD, None)
    admin.ensure()
    made = admin.http.post("/api/users", json={"username": USER, "password": USER_PASSWORD}, headers=admin.headers())
    assert made.status_code == 201, made.text
    user = Caller(server, USER, USER_PASSWORD, admin)
    failures: list[str] = []
    for op in _operations(server):
        for caller in (admin, user):
            _fuzz(op, caller, failures)
    log = server.log.read_text()
    assert not failures, "\n".join(failures[:40]) + "\n--- server log tail ---\n" + log[-4000:]
