"""Files in and out through the app (upload, edit, rename, delete) with a user who plants
links in their own tree from their terminal: no write, move or delete may pass through a link
to the host or to another user's tree, and what the app writes stays the user's to change
from their own shell (the container's user under the docker runtime)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.security.shell import RUNTIMES, shell, stack


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_no_file_operation_passes_through_a_planted_link(tmp_path: Path, runtime: str) -> None:
    victim = tmp_path / "host-dir"
    victim.mkdir()
    (victim / "secret.txt").write_text("the host's own\n")
    with stack(tmp_path, runtime) as st:
        bob = st.user("bob")
        bob.project(name="Shop", slug="shop", description="Bob's goal")
        bobs = st.host_tree(bob) / "projects" / "shop"
        (bobs / "app.py").write_text("bob's code\n")
        before_bob, before_host = _snapshot(bobs), _snapshot(victim)

        eve = st.user("eve")
        project = eve.project(name="Shop", slug="shop")
        base = f"/api/projects/{project['id']}"
        with shell(st, eve, project["id"]) as sh:
            mine = f"{st.tree(eve)}/projects/shop"
            sh.run(
                f"ln -s {bobs} {mine}/bob && ln -s {victim} {mine}/host && "
                f"ln -s {victim}/secret.txt {mine}/secret.txt && mkdir -p {mine}/deep && "
                f"ln -s {bobs} {mine}/deep/bob && echo mine > {mine}/mine.txt"
            )

        http = eve.http
        for folder, name in (
            ("bob", "x.py"),
            ("", "bob/app.py"),
            ("host", "secret.txt"),
            ("deep/bob", "x.py"),
            ("deep", "bob/x.py"),
        ):
            r = http.post(
                f"{base}/files/upload",
                params={"path": folder, "overwrite": "true"},
                files=[("files", ("f", b"EVE", "text/plain"))],
                data={"paths": [name]},
            )
            assert r.status_code in (409, 422), (folder, name, r.status_code, r.text)
        for target in ("bob/app.py", "host/secret.txt", "deep/bob/new.py"):
            r = http.put(f"{base}/files/content", params={"path": target}, json={"text": "EVE", "overwrite": True})
            assert r.status_code in (404, 409, 422), (target, r.status_code, r.text)
        for src, dst in (
            ("bob/app.py", "stolen.py"),
            ("mine.txt", "bob/planted.txt"),
            ("host/secret.txt", "stolen.txt"),
            ("mine.txt", "deep/bob/planted.txt"),
        ):
            r = http.post(f"{base}/files/rename", json={"from": src, "to": dst, "overwrite": True})
            assert r.status_code in (404, 409, 422), (src, dst, r.status_code, r.text)
        for target in ("bob/app.py", "host/secret.txt", "deep/bob/app.py", "deep/bob/.claude"):
            r = http.delete(f"{base}/files", params={"path": target})
            assert r.status_code in (404, 409, 422), (target, r.status_code, r.text)
        r = http.post(f"{base}/files/folder", json={"path": "bob/evil"})
        assert r.status_code in (404, 409, 422), r.text

        # Writing over the link or deleting it changes the link, never its target.
        r = http.post(
            f"{base}/files/upload",
            params={"overwrite": "true"},
            files=[("files", ("secret.txt", b"EVE", "text/plain"))],
        )
        assert r.status_code == 201, r.text
        assert http.delete(f"{base}/files", params={"path": "bob"}).status_code == 204
        assert http.delete(f"{base}/files", params={"path": "host"}).status_code == 204

        assert _snapshot(bobs) == before_bob
        assert _snapshot(victim) == before_host
        eves = st.host_tree(eve) / "projects" / "shop"
        assert (eves / "secret.txt").read_bytes() == b"EVE" and not (eves / "secret.txt").is_symlink()


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_what_the_app_writes_is_the_users_to_change(tmp_path: Path, runtime: str) -> None:
    with stack(tmp_path, runtime) as st:
        eve = st.user("eve")
        project = eve.project(name="Shop", slug="shop")
        base = f"/api/projects/{project['id']}"
        http = eve.http
        r = http.post(
            f"{base}/files/upload",
            params={"path": "site"},
            files=[
                ("files", ("index.html", b"<h1>hi</h1>\n", "text/html")),
                ("files", ("a.css", b"h1{}\n", "text/css")),
            ],
            data={"paths": ["index.html", "css/a.css"]},
        )
        assert r.status_code == 201, r.text
        r = http.put(f"{base}/files/content", params={"path": "tools/run.sh"}, json={"text": "echo run\n"})
        assert r.status_code == 200, r.text
        assert http.post(f"{base}/files/folder", json={"path": "assets/img"}).status_code == 201
        r = http.post(f"{base}/files/rename", json={"from": "tools/run.sh", "to": "bin/run.sh"})
        assert r.status_code == 200, r.text

        expected = 1000 if runtime == "docker" and os.geteuid() == 0 else os.geteuid()
        eves = st.host_tree(eve) / "projects" / "shop"
        for rel in (
            "site",
            "site/index.html",
            "site/css",
            "site/css/a.css",
            "bin",
            "bin/run.sh",
            "assets",
            "assets/img",
        ):
            assert (eves / rel).stat().st_uid == expected, rel

        # The user's own shell (in their container under docker) sees and changes all of it.
        with shell(st, eve, project["id"]) as sh:
            mine = f"{st.tree(eve)}/projects/shop"
            out = sh.run(f"cat {mine}/site/index.html")
            assert "<h1>hi</h1>" in out
            sh.run(
                f"echo more >> {mine}/site/index.html && touch {mine}/site/css/b.css "
                f"{mine}/assets/img/logo.svg && mv {mine}/bin/run.sh {mine}/run.sh && "
                f"rm -r {mine}/site/css"
            )
        assert (eves / "site" / "index.html").read_text() == "<h1>hi</h1>\nmore\n"
        assert (eves / "assets" / "img" / "logo.svg").is_file() and (eves / "run.sh").is_file()
