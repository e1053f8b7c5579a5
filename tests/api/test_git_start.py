"""Starting a project from a git repository, end to end: a real `git daemon` on this machine,
the clone run in the user's runtime (local: their environment on the host; docker: their
container, reaching the daemon through the egress allow list the admin sets)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from autocode.app import create_app
from autocode.core.config import Settings
from tests.conftest import ADMIN_PASSWORD, Account, free_port, login, make_agent, silent_listener, wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
README = "# Hello service\n\nA tiny greeting service: `python hello.py NAME` prints a greeting.\n"


@dataclass
class GitServer:
    port: int
    base: Path

    def url(self, host: str, name: str = "hello.git") -> str:
        return f"git://{host}:{self.port}/{name}"


def _git(*args: str, cwd: Path) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(cwd),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, timeout=30)


def make_repository(base: Path) -> None:
    """base/hello.git: a bare repository with a README and a program."""
    work = base.parent / "work"
    work.mkdir(parents=True)
    (work / "README.md").write_text(README)
    (work / "hello.py").write_text("import sys\nprint('Hello,', sys.argv[1])\n")
    _git("init", "-q", "-b", "main", cwd=work)
    _git("add", ".", cwd=work)
    _git("commit", "-q", "-m", "first", cwd=work)
    base.mkdir(parents=True)
    _git("clone", "-q", "--bare", str(work), str(base / "hello.git"), cwd=base)


def start_daemon(base: Path, listen: str) -> tuple[GitServer, subprocess.Popen[bytes]]:
    port = free_port()
    proc = subprocess.Popen(
        [
            "git",
            "daemon",
            "--export-all",
            f"--base-path={base}",
            "--reuseaddr",
            "--informative-errors",
            f"--listen={listen}",
            f"--port={port}",
            str(base),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )

    def up() -> bool:
        assert proc.poll() is None, "git daemon exited"
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    wait_until(up, timeout=10)
    return GitServer(port, base), proc


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def base_settings(tmp_path: Path, **extra: Any) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        admin_username="admin",
        admin_password=ADMIN_PASSWORD,
        max_body_bytes=64 * 1024,
        **extra,
    )


def new_user(client: TestClient, admin: Account, username: str) -> Account:
    r = client.post("/api/users", json={"username": username, "password": "user-password-1"}, headers=admin.headers)
    assert r.status_code == 201, r.text
    return login(client, username, "user-password-1")


def create(client: TestClient, user: Account, agent_id: int, **fields: Any) -> Any:
    return client.post(f"/api/agents/{agent_id}/projects", json={"name": "From git", **fields}, headers=user.headers)


def settled(client: TestClient, user: Account, project_id: int) -> dict[str, Any]:
    """The project once its clone ended (bounded by the clone timeout plus a margin)."""

    def done() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(f"/api/projects/{project_id}", headers=user.headers).json()
        return body if body["status"] != "cloning" else None

    result: dict[str, Any] = wait_until(done, timeout=120, interval=0.2)
    return result


def logs(client: TestClient, user: Account, project_id: int) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = client.get(f"/api/projects/{project_id}/logs", headers=user.headers).json()
    return body


@pytest.fixture(params=["local", pytest.param("docker", marks=pytest.mark.docker)])
def runtime_kind(request: pytest.FixtureRequest) -> str:
    kind = str(request.param)
    if kind == "docker":
        for script in (REPO_ROOT / "scripts/ensure-docker.sh", REPO_ROOT / "deploy/workspace/build-offline.sh"):
            proc = subprocess.run([str(script)], capture_output=True, text=True, timeout=1200, check=False)
            if proc.returncode != 0:
                pytest.fail(f"{script.name} failed:\n{proc.stderr[-3000:]}")
    return kind


def test_a_project_starts_from_a_repository_on_both_runtimes(tmp_path: Path, runtime_kind: str) -> None:
    # Under docker the container reaches the daemon on the host's address of its own network
    # only because the admin allows that one port (the firewall stays as it is otherwise).
    listen = "127.0.0.1" if runtime_kind == "local" else "0.0.0.0"
    make_repository(tmp_path / "git")
    server, daemon = start_daemon(tmp_path / "git", listen)
    extra: dict[str, Any] = {"runtime": runtime_kind}
    if runtime_kind == "docker":
        extra.update(container_egress_allow=[f"host-gateway:{server.port}"], container_memory="1g")
    host = "127.0.0.1" if runtime_kind == "local" else "host.docker.internal"
    settings = base_settings(tmp_path, **extra)
    username = f"g{os.urandom(4).hex()}"
    try:
        with TestClient(create_app(settings)) as client:
            admin = login(client, "admin", ADMIN_PASSWORD)
            user = new_user(client, admin, username)
            agent = make_agent(client, user)
            r = create(client, user, agent["id"], git_url=server.url(host))
            assert r.status_code == 201, r.text
            assert r.json()["status"] == "cloning" and r.json()["git_url"] == server.url(host)
            project = settled(client, user, r.json()["id"])
            assert project["status"] == "created", (project, logs(client, user, project["id"]))
            assert project["cloned"] is True

            listing = client.get(f"/api/projects/{project['id']}/files", headers=user.headers).json()
            names = {e["name"] for e in listing}
            assert {"README.md", "hello.py", ".claude"} <= names, names  # the listing hides .git
            text = client.get(
                f"/api/projects/{project['id']}/files/content", params={"path": "README.md"}, headers=user.headers
            ).json()["text"]
            assert text == README
            messages = [row["message"] for row in logs(client, user, project["id"])]
            assert any(m.startswith("Cloning git://") for m in messages), messages
            assert any(m.startswith("Cloned git://") for m in messages), messages

            # Owned by the user's environment: uid 1000 in the container as root, the service user locally.
            folder = settings.data_path / "users" / username / "projects" / project["slug"]
            expected = 1000 if runtime_kind == "docker" and os.geteuid() == 0 else os.geteuid()
            for rel in ("README.md", "hello.py", ".git/HEAD"):
                assert (folder / rel).stat().st_uid == expected, rel

            # A repository that is not there: the project says why, nothing breaks.
            r = create(client, user, agent["id"], git_url=server.url(host, "missing.git"))
            assert r.status_code == 201, r.text
            failed = settled(client, user, r.json()["id"])
            assert failed["status"] == "failed", failed
            assert failed["status_reason"].startswith("Clone failed: fatal"), failed["status_reason"]
            errors = [row for row in logs(client, user, failed["id"]) if row["level"] == "error"]
            assert errors and errors[-1]["message"] == failed["status_reason"]

            # An ssh address: the clone needs the user's deploy key, then runs ssh with it.
            closed = free_port()
            ssh_url = f"ssh://git@{host}:{closed}/hello.git"
            nokey = settled(client, user, create(client, user, agent["id"], git_url=ssh_url).json()["id"])
            assert "no deploy key yet" in nokey["status_reason"], nokey
            assert client.get("/api/me/deploy-key", headers=user.headers).status_code == 200
            tried = settled(client, user, create(client, user, agent["id"], git_url=ssh_url).json()["id"])
            # ssh ran with the key and found nothing listening (under docker the firewall refuses it).
            assert "Connection refused" in tried["status_reason"], tried["status_reason"]

            if runtime_kind == "docker":
                # The same daemon on a port the admin did not allow: the firewall still stops it.
                other, other_daemon = start_daemon(tmp_path / "git", listen)
                try:
                    r = create(client, user, agent["id"], git_url=other.url(host))
                    blocked = settled(client, user, r.json()["id"])
                finally:
                    stop_group(other_daemon)
                assert blocked["status"] == "failed", blocked
                assert "unable to connect" in blocked["status_reason"], blocked["status_reason"]
    finally:
        stop_group(daemon)
        if runtime_kind == "docker":
            from autocode.runtime.docker import DockerRuntime

            DockerRuntime(data_dir=settings.data_path).remove_user(username)
        else:
            from autocode.runtime.local import LocalRuntime

            LocalRuntime(data_dir=settings.data_path).remove_user(username)


def test_a_clone_that_hangs_is_stopped_at_the_time_limit(tmp_path: Path) -> None:
    """A server that accepts and never answers: the clone ends at the limit, the project says so."""
    with silent_listener() as port:
        try:
            with TestClient(create_app(base_settings(tmp_path, clone_timeout_seconds=5))) as client:
                admin = login(client, "admin", ADMIN_PASSWORD)
                agent = make_agent(client, admin)
                r = create(client, admin, agent["id"], git_url=f"git://127.0.0.1:{port}/slow.git")
                assert r.status_code == 201, r.text
                # While it clones, the project (and the folder git writes into) cannot be deleted.
                gone = client.delete(f"/api/projects/{r.json()['id']}", headers=admin.headers)
                assert gone.status_code == 409 and "being cloned" in gone.json()["detail"], gone.text
                project = settled(client, admin, r.json()["id"])
                assert project["status"] == "failed"
                assert project["status_reason"] == "Clone failed: the clone took longer than 5 seconds and was stopped"
        finally:
            from autocode.runtime.local import LocalRuntime

            LocalRuntime(data_dir=tmp_path / "data").remove_user("admin")


@pytest.mark.parametrize(
    "url,words",
    [
        ("file:///etc", "file://"),
        ("/etc", "Local paths"),
        ("--upload-pack=touch /tmp/autocode-pwned", "'-'"),
        ("ext::sh -c touch% /tmp/autocode-pwned", "Transport helpers"),
        ("https://me:secret@github.com/x.git", "Credentials"),
    ],
)
def test_local_and_helper_addresses_are_refused(client: TestClient, admin: Account, url: str, words: str) -> None:
    agent = make_agent(client, admin)
    r = create(client, admin, agent["id"], git_url=url)
    assert r.status_code == 422, r.text
    assert words in r.json()["detail"]
    assert client.get(f"/api/agents/{agent['id']}/projects", headers=admin.headers).json() == []
    assert not Path("/tmp/autocode-pwned").exists()


def test_private_addresses_are_refused_in_production(tmp_path: Path) -> None:
    settings = base_settings(tmp_path, environment="production", secret_key="p" * 40, cookie_secure=False)
    with TestClient(create_app(settings)) as client:
        admin = login(client, "admin", ADMIN_PASSWORD)
        agent = make_agent(client, admin)
        for url in (
            "git://127.0.0.1:9418/hello.git",
            "https://localhost/x.git",
            "git@169.254.169.254:x.git",
            "https://2130706433/x.git",
        ):
            r = create(client, admin, agent["id"], git_url=url)
            assert r.status_code == 422, (url, r.text)
            assert "private" in r.json()["detail"] or "localhost" in r.json()["detail"], r.text
        # The local runtime runs clones on the host: not for accounts that are not admins.
        user = new_user(client, admin, "gitprod")
        agent = make_agent(client, user)
        r = create(client, user, agent["id"], git_url="https://github.com/octo/hello.git")
        assert r.status_code == 403, r.text


def test_a_clone_a_stopped_server_left_unfinished_starts_again(tmp_path: Path) -> None:
    """The server stopped mid-clone: on the next start the project's folder is emptied (what
    the interrupted clone left goes) and the clone runs again."""
    import sqlite3

    make_repository(tmp_path / "git")
    server, daemon = start_daemon(tmp_path / "git", "127.0.0.1")
    settings = base_settings(tmp_path)
    try:
        with TestClient(create_app(settings)) as client:
            admin = login(client, "admin", ADMIN_PASSWORD)
            agent = make_agent(client, admin)
            project = settled(
                client, admin, create(client, admin, agent["id"], git_url=server.url("127.0.0.1")).json()["id"]
            )
            assert project["status"] == "created"
        folder = settings.data_path / "users" / "admin" / "projects" / project["slug"]
        (folder / "half-written.tmp").write_text("left by an interrupted clone")
        with sqlite3.connect(settings.data_path / "autocode.db") as db:
            db.execute("UPDATE projects SET status = 'cloning', cloned = 0 WHERE id = ?", (project["id"],))
        with TestClient(create_app(settings)) as client:
            admin = login(client, "admin", ADMIN_PASSWORD)
            again = settled(client, admin, project["id"])
            assert again["status"] == "created" and again["cloned"] is True, again
            messages = [row["message"] for row in logs(client, admin, project["id"])]
            assert sum(m.startswith("Cloned git://") for m in messages) == 2, messages
        assert not (folder / "half-written.tmp").exists()
        assert (folder / "README.md").read_text() == README
    finally:
        stop_group(daemon)
        from autocode.runtime.local import LocalRuntime

        LocalRuntime(data_dir=settings.data_path).remove_user("admin")
