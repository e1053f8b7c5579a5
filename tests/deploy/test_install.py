"""deploy/install.sh in a throwaway root, twice: the second run changes nothing."""

from __future__ import annotations

import grp
import hashlib
import json
import os
import pwd
import re
import shutil
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import free_port, wait_until
from tests.deploy.conftest import REPO, caddy_bin, caddy_env, changed_lines, fetch, stop

DOMAIN = "autocode.example.test"
FLAGS = ["--skip-apt", "--skip-systemctl", "--skip-npm"]


@dataclass
class Installed:
    src: Path
    root: Path
    runs: list[subprocess.CompletedProcess[str]]
    manifests: list[dict[str, list[object]]]
    secrets: list[str]


def manifest(root: Path) -> dict[str, list[object]]:
    """Every path under root: type and mode, owner, group, content hash or link target."""
    out: dict[str, list[object]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            path = Path(dirpath) / name
            st = path.lstat()
            entry: list[object] = [stat.filemode(st.st_mode), st.st_uid, st.st_gid]
            if stat.S_ISREG(st.st_mode):
                entry.append(hashlib.sha256(path.read_bytes()).hexdigest())
            elif stat.S_ISLNK(st.st_mode):
                entry.append(os.readlink(path))
            out[str(path.relative_to(root))] = entry
    return out


def env_file_values(root: Path) -> dict[str, str]:
    values = {}
    for line in (root / "etc/autocode/autocode.env").read_text().splitlines():
        if line and not line.startswith("#"):
            key, value = line.split("=", 1)
            values[key] = value
    return values


def run_install(src: Path, root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCODE_")}
    r = subprocess.run(
        ["bash", str(src / "deploy" / "install.sh"), "--root", str(root), *FLAGS, *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=src,
    )
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    return r


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    if shutil.which("rsync") is None:
        pytest.fail("rsync is missing: apt-get install rsync (install.sh installs it on servers)")
    tmp = tmp_path_factory.mktemp("install")
    # A snapshot of the checkout (what git would track), so parallel edits cannot change the
    # source between the two runs.
    src = tmp / "src"
    subprocess.run(
        [
            "rsync",
            "-a",
            "--filter=:- .gitignore",
            "--exclude=/.git",
            "--exclude=node_modules",
            "--exclude=__pycache__",
            f"{REPO}/",
            f"{src}/",
        ],
        check=True,
        timeout=300,
    )
    root = tmp / "root"
    runs, manifests, secrets = [], [], []
    for _ in range(2):
        runs.append(run_install(src, root, "--domain", DOMAIN))
        manifests.append(manifest(root))
        secrets.append(env_file_values(root)["AUTOCODE_SECRET_KEY"])
    yield Installed(src, root, runs, manifests, secrets)


def test_second_run_leaves_exactly_the_same_result(installed: Installed) -> None:
    first, second = installed.manifests
    assert first.keys() == second.keys(), first.keys() ^ second.keys()
    changed = {path: (first[path], second[path]) for path in first if first[path] != second[path]}
    assert changed == {}
    assert "pip install" not in installed.runs[1].stdout  # nothing to rebuild either
    # Everything went under the root: nothing of the system's own.
    for path in (
        "opt/autocode/.venv/bin/autocode",
        "data",
        "etc/autocode/autocode.env",
        "etc/systemd/system/autocode.service",
        "etc/caddy/Caddyfile",
    ):
        assert path in first, path


def test_secret_is_made_once_and_kept(installed: Installed) -> None:
    one, two = installed.secrets
    assert one == two and len(one) >= 32
    env = env_file_values(installed.root)
    assert env["AUTOCODE_ENVIRONMENT"] == "production"
    assert env["AUTOCODE_DOMAIN"] == DOMAIN and env["AUTOCODE_DATA_DIR"] == "/data"
    # A VPS gets the runtime that isolates users (docs/security.md); --local opts out.
    assert env["AUTOCODE_RUNTIME"] == "docker"
    # X-Forwarded-For is believed only from Caddy on this host.
    assert env["AUTOCODE_TRUSTED_PROXIES"] == "127.0.0.1"
    st = (installed.root / "etc/autocode/autocode.env").stat()
    assert stat.S_IMODE(st.st_mode) == 0o640
    assert pwd.getpwuid(st.st_uid).pw_name == "root"
    assert grp.getgrgid(st.st_gid).gr_name == grp.getgrgid(os.getgid()).gr_name  # the service group
    # A third run with another domain warns and keeps the settings it made.
    third = run_install(installed.src, installed.root, "--domain", "other.example.test")
    assert "keeping AUTOCODE_DOMAIN=" + DOMAIN in third.stderr
    assert env_file_values(installed.root) == env
    assert manifest(installed.root) == installed.manifests[1]


def test_first_admin_is_made_once_and_its_password_shown_once(installed: Installed) -> None:
    first, second = installed.runs
    assert len(re.findall(r"^password: \S+", first.stdout, re.M)) == 1
    assert "admin created: admin" in first.stdout
    assert "password:" not in second.stdout and "admin created" not in second.stdout
    db = installed.root / "data" / "autocode.db"
    import sqlite3

    con = sqlite3.connect(db)
    try:
        assert con.execute("SELECT username, is_admin FROM users").fetchall() == [("admin", 1)]
    finally:
        con.close()
    assert not (installed.root / "data" / "autocode.db-wal").exists()


def test_installed_files(installed: Installed) -> None:
    root = installed.root
    unit = root / "etc/systemd/system/autocode.service"
    assert unit.read_text() == (installed.src / "systemd/autocode.service").read_text()
    assert stat.S_IMODE(unit.stat().st_mode) == 0o644
    for path, mode in (("data", 0o700), ("data/home", 0o700), ("data/tmp", 0o700), ("etc/autocode", 0o750)):
        assert stat.S_IMODE((root / path).stat().st_mode) == mode, path
    # The code belongs to root and nobody else may write it; no git metadata or node_modules.
    app = root / "opt/autocode"
    assert (app / "backend/autocode/cli.py").is_file() and not (app / ".git").exists()
    for item in app.rglob("*"):
        if item.is_symlink() or ".venv" in item.parts:
            continue
        assert not item.lstat().st_mode & 0o022, item
    r = subprocess.run([str(app / ".venv/bin/autocode"), "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "serve" in r.stdout


def test_installed_caddyfile_is_the_repos_with_the_domain(installed: Installed, tmp_path: Path) -> None:
    production = (installed.src / "deploy/Caddyfile").read_text()
    caddyfile = installed.root / "etc/caddy/Caddyfile"
    text = caddyfile.read_text()
    diff = changed_lines(production, text)
    removed = [line[1:] for line in diff if line.startswith("-")]
    added = [line[1:] for line in diff if line.startswith("+")]
    assert "{$AUTOCODE_DOMAIN} {" in removed and f"{DOMAIN} {{" in added
    # Port and PWA directory are written in from the settings (Caddy does not read them).
    assert "127.0.0.1:8000" in text and "{$AUTOCODE_PORT" not in text
    assert "root * /opt/autocode/frontend/dist" in text
    assert len(removed) == len(added) <= 4
    r = subprocess.run(
        [caddy_bin(), "validate", "--config", str(caddyfile), "--adapter", "caddyfile"],
        env=caddy_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr


def test_installed_server_starts_with_the_settings_and_the_shown_password(installed: Installed) -> None:
    password = re.search(r"^password: (\S+)", installed.runs[0].stdout, re.M).group(1)  # type: ignore[union-attr]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCODE_")}
    env.update(env_file_values(installed.root))
    port = free_port()
    env.update(
        AUTOCODE_DATA_DIR=str(installed.root / "data"),
        AUTOCODE_PORT=str(port),
        AUTOCODE_PREVIEW_PORT=str(free_port()),
        AUTOCODE_COOKIE_SECURE="false",
        HOME=str(installed.root / "data/home"),
    )
    log = installed.root.parent / "installed-server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(installed.root / "opt/autocode/.venv/bin/autocode"), "serve"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=installed.root,
            start_new_session=True,
        )
    try:

        def up() -> bool:
            assert proc.poll() is None, log.read_text()
            try:
                return fetch(port, "GET", "/api/health").status == 200
            except OSError:
                return False

        wait_until(up, timeout=60, interval=0.2)
        r = fetch(
            port,
            "POST",
            "/api/auth/login",
            headers={"Content-Type": "application/json"},
            body=json.dumps({"username": "admin", "password": password}).encode(),
        )
        assert r.status == 200, r.body
        assert "password:" not in log.read_text()  # the server made no second admin
    finally:
        stop(proc)


def test_local_opts_out_of_the_docker_runtime_and_a_later_run_warns(installed: Installed, tmp_path: Path) -> None:
    root = tmp_path / "root"
    # The settings step only: the venv of the module's install is reused (no second pip run).
    shutil.copytree(installed.root / "opt", root / "opt", symlinks=True)
    shutil.copytree(installed.root / "var", root / "var", symlinks=True)
    run_install(installed.src, root, "--domain", DOMAIN, "--local")
    env = env_file_values(root)
    assert env["AUTOCODE_RUNTIME"] == "local" and env["AUTOCODE_TRUSTED_PROXIES"] == "127.0.0.1"
    again = run_install(installed.src, root)
    assert "AUTOCODE_RUNTIME=local" in again.stderr and "not isolated" in again.stderr
    assert env_file_values(root) == env  # made once: the warning changes nothing


def test_first_install_without_a_domain_stops_before_touching_anything(tmp_path: Path) -> None:
    root = tmp_path / "root"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCODE_")}
    r = subprocess.run(
        ["bash", str(REPO / "deploy" / "install.sh"), "--root", str(root), *FLAGS],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode != 0 and "pass --domain" in r.stderr
    assert list(root.iterdir()) == []
    bad = subprocess.run(
        ["bash", str(REPO / "deploy" / "install.sh"), "--root", str(root), *FLAGS, "--domain", "x;rm -rf /"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode != 0 and "not a host name" in bad.stderr
    assert list(root.iterdir()) == []


def test_install_script_passes_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    r = subprocess.run([shellcheck, str(REPO / "deploy" / "install.sh")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout
