"""Finding 5: deleting your own project deleted another user's workspace (a `projects/` link
into theirs, with the same slug)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.security.shell import RUNTIMES, shell, stack


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_deleting_my_project_through_a_linked_projects_folder_spares_the_other_user(
    tmp_path: Path, runtime: str
) -> None:
    with stack(tmp_path, runtime) as st:
        bob = st.user("bob")
        bobs = bob.project(name="Shop", slug="shop")
        bob_dir = st.host_tree(bob) / "projects" / "shop"
        (bob_dir / "work.txt").write_text("a month of bob's work\n")
        eve = st.user("eve")
        project = eve.project(name="Shop", slug="shop")
        with shell(st, eve, project["id"]) as sh:
            tree = st.tree(eve)
            sh.run(f"cd / && mv {tree}/projects {tree}/projects.old && ln -s {bob_dir.parent} {tree}/projects")
        r = eve.http.delete(f"/api/projects/{project['id']}")
        assert r.status_code == 204, r.text
        assert (bob_dir / "work.txt").read_text() == "a month of bob's work\n"
        r = bob.http.get(f"/api/projects/{bobs['id']}/files/content", params={"path": "work.txt"})
        assert r.status_code == 200 and "a month of bob's work" in r.text
        # Eve's link is left as she made it: the server neither follows nor "repairs" it.
        assert (st.host_tree(eve) / "projects").is_symlink()


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_deleting_a_project_whose_folder_links_to_the_data_dir_keeps_the_database(tmp_path: Path, runtime: str) -> None:
    with stack(tmp_path, runtime) as st:
        eve = st.user("eve")
        project = eve.project(name="Shop", slug="shop")
        with shell(st, eve, project["id"]) as sh:
            tree = st.tree(eve)
            sh.run(f"cd / && rm -rf {tree}/projects/shop && ln -s {st.data.resolve()} {tree}/projects/shop")
        r = eve.http.delete(f"/api/projects/{project['id']}")
        assert r.status_code == 204, r.text
        for name in ("secret.key", "autocode.db"):
            assert (st.data / name).is_file(), name
        assert (st.data / "users").is_dir()
        # The server still works for everyone.
        assert st.admin.http.get("/api/users").status_code == 200
        assert eve.project(name="Again", slug="again")["slug"] == "again"
