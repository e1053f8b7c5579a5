"""`autocode serve` as a real subprocess, talked to over HTTP only."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, wait_until

AUTOCODE = Path(sys.executable).with_name("autocode")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[str]]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCODE_")}
    env.update(
        {
            "AUTOCODE_DATA_DIR": str(tmp_path / "data"),
            "AUTOCODE_PORT": str(port),
            "AUTOCODE_PREVIEW_PORT": str(free_port()),
        }
    )
    log = tmp_path / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(AUTOCODE), "serve"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=tmp_path,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            assert proc.poll() is None, log.read_text()
            try:
                return httpx.get(f"{base}/api/health", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(up, timeout=30, interval=0.2)
        yield base, log, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


def test_serve_prints_admin_once_and_serves_the_api(
    server: tuple[str, Path, subprocess.Popen[str]], tmp_path: Path
) -> None:
    base, log, _proc = server
    text = log.read_text()
    match = re.search(r"username: (\S+)\n\s+password: (\S+)", text)
    assert match, text
    username, password = match.groups()
    health = httpx.get(f"{base}/api/health").json()
    assert health["status"] == "ok"
    r = httpx.post(f"{base}/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200
    token = r.json()["access_token"]
    me = httpx.get(f"{base}/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["is_admin"] is True
    assert password not in httpx.get(f"{base}/api/users", headers={"Authorization": f"Bearer {token}"}).text
    assert (tmp_path / "data" / "autocode.db").is_file()
    assert (tmp_path / "data" / "secret.key").stat().st_mode & 0o777 == 0o600


def test_second_start_does_not_print_a_password_again(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCODE_")}
    env["AUTOCODE_DATA_DIR"] = str(tmp_path / "data")
    first = subprocess.run(
        [str(AUTOCODE), "create-admin", "--username", "boss"], env=env, capture_output=True, text=True, timeout=60
    )
    assert first.returncode == 0 and "password:" in first.stdout
    again = subprocess.run(
        [str(AUTOCODE), "create-admin", "--username", "boss"], env=env, capture_output=True, text=True, timeout=60
    )
    assert again.returncode == 1 and "already exists" in again.stderr
    port = free_port()
    env["AUTOCODE_PORT"] = str(port)
    env["AUTOCODE_PREVIEW_PORT"] = str(free_port())
    proc = subprocess.Popen(
        [str(AUTOCODE), "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        wait_until(lambda: _answers(port), timeout=30, interval=0.2)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=15)
    assert "password:" not in out and "First start" not in out


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_doctor_and_backup(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCODE_")}
    env["AUTOCODE_DATA_DIR"] = str(tmp_path / "data")
    env["AUTOCODE_ADMIN_PASSWORD"] = "given-password-1"
    subprocess.run([str(AUTOCODE), "create-admin"], env=env, check=True, capture_output=True, timeout=60)
    doctor = subprocess.run([str(AUTOCODE), "doctor"], env=env, capture_output=True, text=True, timeout=60)
    for name in ("tmux", "docker engine", "claude CLI", "node", "data dir"):
        assert name in doctor.stdout
    target = tmp_path / "backup.db"
    backup = subprocess.run([str(AUTOCODE), "backup", str(target)], env=env, capture_output=True, text=True, timeout=60)
    assert backup.returncode == 0, backup.stderr
    import sqlite3

    con = sqlite3.connect(target)
    try:
        assert con.execute("SELECT username FROM users").fetchall() == [("admin",)]
    finally:
        con.close()
    refused = subprocess.run(
        [str(AUTOCODE), "backup", str(target)], env=env, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode == 1 and "exists" in refused.stderr
    bad = subprocess.run(
        [str(AUTOCODE), "serve"],
        env={**env, "AUTOCODE_ENVIRONMENT": "production"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "AUTOCODE_SECRET_KEY" in bad.stderr
