"""Finding 10 (files): archive, diff and listing had no size or time cap, and a FIFO or a link to
/dev/zero in a workspace could hang or exhaust the reader."""

from __future__ import annotations

import os
from pathlib import Path

from tests.security.shell import shell, stack


def test_fifos_devices_and_huge_files_are_refused_or_capped(tmp_path: Path) -> None:
    with stack(tmp_path, "local") as st:
        eve = st.user("eve")
        project = eve.project(name="Shop", slug="shop")
        base = f"/api/projects/{project['id']}"
        with shell(st, eve, project["id"]) as sh:
            here = f"{st.tree(eve)}/projects/shop"
            sh.run(f"mkfifo {here}/pipe && ln -s /dev/zero {here}/zero && truncate -s 3G {here}/huge.bin")
        for path in ("pipe", "zero"):
            r = eve.http.get(f"{base}/files/content", params={"path": path}, timeout=10)
            assert r.status_code in (404, 409, 422), (path, r.status_code, r.text)
        r = eve.http.get(f"{base}/files/content", params={"path": "huge.bin"}, timeout=10)
        assert r.status_code == 200 and r.json()["truncated"] is True
        # The archive stops at its byte limit with a clear answer instead of writing 3 GB.
        r = eve.http.get(f"{base}/archive", timeout=60)
        assert r.status_code == 413, r.text
        assert "MB" in r.json()["detail"]
        # The streamed zip checks the same limits before its first byte: a plain 413 too.
        r = eve.http.get(f"{base}/archive", params={"format": "zip"}, timeout=60)
        assert r.status_code == 413, r.text
        assert "MB" in r.json()["detail"]
        os.unlink(st.host_tree(eve) / "projects/shop/huge.bin")
        r = eve.http.get(f"{base}/archive", timeout=60)  # the FIFO and the link are left out
        assert r.status_code == 200, r.text
        r = eve.http.get(f"{base}/archive", params={"format": "zip"}, timeout=60)
        assert r.status_code == 200, r.text


def test_a_workspace_with_too_many_files_is_refused_not_walked_forever(tmp_path: Path) -> None:
    with stack(tmp_path, "local") as st:
        eve = st.user("eve")
        project = eve.project(name="Shop", slug="shop")
        many = st.host_tree(eve) / "projects/shop/many"
        many.mkdir()
        for i in range(20_050):
            (many / f"f{i}").touch()
        r = eve.http.get(f"/api/projects/{project['id']}/archive", timeout=120)
        assert r.status_code == 413, r.text
        assert "files" in r.json()["detail"]
        r = eve.http.get(f"/api/projects/{project['id']}/archive", params={"format": "zip"}, timeout=120)
        assert r.status_code == 413, r.text
        assert "files" in r.json()["detail"]
        # A listing returns its first page only.
        listed = eve.http.get(f"/api/projects/{project['id']}/files", params={"path": "many"}).json()
        assert len(listed) == 2000
