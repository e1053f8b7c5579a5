"""The .zip download (whole workspace or one folder) walks the tree like the .tar.gz: a link a
user plants in their workspace, or in place of it, never brings the host's files into it."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from tests.security.shell import RUNTIMES, shell, stack


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_links_planted_in_the_workspace_are_not_followed_by_the_zip(tmp_path: Path, runtime: str) -> None:
    with stack(tmp_path, runtime) as st:
        eve = st.user("eve")
        project = eve.project(name="Shop", slug="shop")
        secret = (st.data / "secret.key").read_text().strip()
        data = st.data.resolve()
        base = f"/api/projects/{project['id']}/archive"
        with shell(st, eve, project["id"]) as sh:
            ws = f"{st.tree(eve)}/projects/shop"
            sh.run(
                f"cd {ws} && mkdir -p src && echo mine > src/own.txt && "
                f"ln -s {data} hostdata && ln -s {data}/secret.key src/key && ln -s / root"
            )
        r = eve.http.get(base, params={"format": "zip"}, timeout=60)
        assert r.status_code == 200, r.text
        with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
            names = zf.namelist()
            assert zf.read("shop/src/own.txt") == b"mine\n"
        assert not any(
            n.endswith(("secret.key", "autocode.db", "/key")) or "/hostdata/" in n or "/root/" in n for n in names
        ), names
        assert secret.encode() not in r.content
        for folder in ("hostdata", "root", "src/key", "hostdata/users"):
            r = eve.http.get(base, params={"format": "zip", "path": folder}, timeout=60)
            assert r.status_code in (404, 409), (folder, r.status_code, r.text[:300])
            assert secret.encode() not in r.content

        # The project folder itself replaced by a link to the data directory.
        with shell(st, eve, project["id"]) as sh:
            tree = st.tree(eve)
            sh.run(f"cd / && rm -rf {tree}/projects/shop && ln -s {data} {tree}/projects/shop")
        assert (st.host_tree(eve) / "projects" / "shop").is_symlink()
        r = eve.http.get(base, params={"format": "zip"}, timeout=60)
        assert r.status_code in (404, 409), r.text[:300]
        assert secret.encode() not in r.content
        r = eve.http.get(base, params={"format": "zip", "path": "users"}, timeout=60)
        assert r.status_code in (404, 409), r.text[:300]
