"""Finding 3: replacing the project folder (or `projects/`) with a link made the files, content
and archive endpoints read the host: `secret.key` and the database came back."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from tests.security.shell import RUNTIMES, Stack, shell, stack


def _secret(st: Stack) -> str:
    return (st.data / "secret.key").read_text().strip()


def _assert_nothing_of_the_host(st: Stack, api_http: object, project_id: int, secret: str) -> None:
    import httpx

    assert isinstance(api_http, httpx.Client)
    base = f"/api/projects/{project_id}"
    listing = api_http.get(f"{base}/files")
    assert "secret.key" not in listing.text and "autocode.db" not in listing.text, listing.text
    for path in ("secret.key", "autocode.db", "data/secret.key", "users"):
        r = api_http.get(f"{base}/files/content", params={"path": path})
        assert r.status_code in (404, 409, 422), (path, r.status_code, r.text[:300])
        assert secret not in r.text
    r = api_http.get(f"{base}/archive")
    assert r.status_code in (200, 404, 409, 413, 422), r.text[:300]
    if r.status_code == 200:
        with tarfile.open(fileobj=io.BytesIO(r.content), mode="r:gz") as tar:
            names = tar.getnames()
        assert not any(n.endswith(("secret.key", "autocode.db")) for n in names), names
    assert secret.encode() not in r.content


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_a_project_folder_replaced_by_a_link_to_the_data_dir(tmp_path: Path, runtime: str) -> None:
    with stack(tmp_path, runtime) as st:
        eve = st.user("eve")
        project = eve.project(name="Shop", slug="shop")
        secret = _secret(st)
        data = st.data.resolve()
        with shell(st, eve, project["id"]) as sh:
            tree = st.tree(eve)
            sh.run(f"cd / && rm -rf {tree}/projects/shop && ln -s {data} {tree}/projects/shop")
        assert (st.host_tree(eve) / "projects" / "shop").is_symlink()
        _assert_nothing_of_the_host(st, eve.http, project["id"], secret)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_the_projects_folder_replaced_by_a_link_to_another_users_projects(tmp_path: Path, runtime: str) -> None:
    with stack(tmp_path, runtime) as st:
        bob = st.user("bob")
        bobs = bob.project(name="Shop", slug="shop")
        bob_file = st.host_tree(bob) / "projects" / "shop" / "private.txt"
        bob_file.write_text("bob's private notes\n")
        eve = st.user("eve")
        project = eve.project(name="Shop", slug="shop")
        with shell(st, eve, project["id"]) as sh:
            tree = st.tree(eve)
            sh.run(
                f"cd / && mv {tree}/projects {tree}/projects.old && "
                f"ln -s {st.host_tree(bob) / 'projects'} {tree}/projects"
            )
        r = eve.http.get(f"/api/projects/{project['id']}/files/content", params={"path": "private.txt"})
        assert r.status_code in (404, 409, 422), r.text
        assert "bob's private notes" not in r.text
        r = eve.http.get(f"/api/projects/{project['id']}/files")
        assert "private.txt" not in r.text
        r = eve.http.get(f"/api/projects/{project['id']}/archive")
        assert b"bob's private notes" not in r.content
        # Bob's own view is untouched.
        r = bob.http.get(f"/api/projects/{bobs['id']}/files/content", params={"path": "private.txt"})
        assert r.status_code == 200 and "bob's private notes" in r.text
