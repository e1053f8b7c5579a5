"""All the attacks against one server, one after another, then the database must be healthy.

Before the safe file layer, about half of such runs left SQLite answering "disk I/O error" and
a supervisor started afterwards unable to see committed rows. The cause: reading a user's
folder that resolved into the data directory opened (and closed) the database, its WAL and
its shared-memory index in the server process, and closing any descriptor of a file drops
every POSIX lock this process holds on it, SQLite's included; another process could then
reset the WAL under the server. Now no path from a user's tree reaches the data directory,
and the server's own files are refused by identity (a hard link to them included).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

from tests.conftest import Api
from tests.fakes.fake_anthropic import text, write
from tests.security.shell import shell
from tests.supervision.conftest import Platform


def _integrity(db: Path) -> str:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def test_every_attack_then_the_database_is_healthy(platform: Platform, tmp_path: Path) -> None:
    data = platform.data.resolve()
    admin = platform.api
    bob = admin.create_user("bob")
    bobs = bob.project(name="Shop", slug="shop")
    (data / "users/bob/projects/shop/work.txt").write_text("bob's work\n")
    eve = admin.create_user("eve")
    tree = data / "users/eve"
    marker = tmp_path / "ran-on-the-host"
    ws = platform.server.ws_base

    def eve_project(slug: str) -> dict[str, object]:
        return eve.project(name=slug.title(), slug=slug)

    # 3: a project folder linked to the data dir, read through every endpoint, many times.
    p1 = eve_project("one")
    p2 = eve_project("two")
    with shell(ws, eve, int(str(p1["id"]))) as sh:
        sh.run(f"cd / && rm -rf {tree}/projects/one && ln -s {data} {tree}/projects/one")
        # and a hard link to the database itself (possible only where the user's shell is the
        # service user: the local runtime)
        sh.run(f"ln {data}/autocode.db {tree}/projects/two/db && ln {data}/autocode.db-wal {tree}/projects/two/wal")
    for _ in range(5):
        for pid in (p1["id"], p2["id"]):
            for path in ("", "autocode.db", "autocode.db-wal", "autocode.db-shm", "db", "wal", "secret.key"):
                r = eve.http.get(f"/api/projects/{pid}/files/content", params={"path": path or "x"})
                assert r.status_code in (404, 409, 422), (path, r.status_code)
            eve.http.get(f"/api/projects/{pid}/files")
            r = eve.http.get(f"/api/projects/{pid}/archive")
            assert b"SQLite format 3" not in r.content
    # 4: writes through planted links.
    p3 = eve_project("three")
    with shell(ws, eve, int(str(p3["id"]))) as sh:
        sh.run(f"ln -s {data}/autocode.db-wal {tree}/projects/three/.claude/.CLAUDE.md.tmp")
        sh.run(f"rm -rf {tree}/projects/three/.claude && ln -s {data} {tree}/projects/three/.claude")
    for n in range(3):
        assert eve.http.put(f"/api/projects/{p3['id']}", json={"description": f"v{n}"}).status_code == 200
    # 2: a planted repository with commands in its configuration.
    p4 = eve_project("four")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "-C", str(tree / "projects/four"), "init", "-q"], check=True, env=env)
    with (tree / "projects/four/.git/config").open("a") as fh:
        fh.write(f"[core]\n\tfsmonitor = sh -c 'touch {marker}'\n")
    eve.http.get(f"/api/projects/{p4['id']}/steps/1/diff")
    # 5: deletes through links into the data dir and into another user's tree.
    for p in (p1, p2, p3):
        assert eve.http.delete(f"/api/projects/{p['id']}").status_code == 204
    p5 = eve_project("shop")
    with shell(ws, eve, int(str(p5["id"]))) as sh:
        sh.run(f"cd / && mv {tree}/projects {tree}/projects.old && ln -s {data}/users/bob/projects {tree}/projects")
    assert eve.http.delete(f"/api/projects/{p5['id']}").status_code == 204

    # The aftermath: nothing of the host or of bob touched, the database healthy and usable.
    assert not marker.exists()
    assert (data / "users/bob/projects/shop/work.txt").read_text() == "bob's work\n"
    assert _integrity(data / "autocode.db") == "ok"
    carol = admin.create_user("carol")
    cp = carol.project(name="Fresh", slug="fresh")
    assert carol.http.delete(f"/api/projects/{cp['id']}").status_code == 204
    assert admin.http.delete(f"/api/users/{admin.http.get('/api/users').json()[-1]['id']}").status_code == 204
    assert bob.http.get(f"/api/projects/{bobs['id']}").status_code == 200
    # A supervisor started afterwards sees what the server committed and finishes its plan.
    platform.fake.on_prompt("GO-LAST", write("last.txt", "1\n"), text("Wrote last.txt"))
    project = platform.project([{"title": "Write a file", "detail": "GO-LAST"}])
    platform.start(project["id"])
    platform.wait_status(project["id"], "completed")
    assert _integrity(data / "autocode.db") == "ok"
    assert isinstance(eve, Api)
