"""The safe file layer on real files: no link followed anywhere, regular files only, caps."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autocode.core import files
from autocode.core.files import Limits, Missing, Refused, TooLarge, Tree, parse_rel


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("", ""),
        ("/", ""),
        ("a/b", "a/b"),
        ("/a//b/", "a/b"),
        ("./a/./b", "a/b"),
    ],
)
def test_parse_rel_accepts(given: str, expected: str) -> None:
    assert str(parse_rel(given)) == ("." if expected == "" else expected)


@pytest.mark.parametrize("given", ["..", "a/../b", "a/..", "a\x00b", "x" * 256, "a/" * 2100])
def test_parse_rel_refuses(given: str) -> None:
    with pytest.raises(Refused):
        parse_rel(given)


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    root = tmp_path / "users" / "u"
    files.ensure_root(root)
    (root / "p").mkdir()
    (root / "p" / "a.txt").write_text("hello")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret").write_text("host secret")
    return Tree(root)


def test_a_link_in_any_component_is_refused(tree: Tree, tmp_path: Path) -> None:
    os.symlink(tmp_path / "outside", tree.root / "p" / "dirlink")
    os.symlink(tmp_path / "outside" / "secret", tree.root / "p" / "filelink")
    for rel in ("p/dirlink/secret", "p/filelink"):
        with pytest.raises((Refused, Missing)):
            tree.read(rel, limit=100)
    assert [e.kind for e in tree.list("p") if e.name.endswith("link")] == ["link", "link"]
    assert all(w.path.name == "a.txt" for w in tree.walk("p"))


def test_the_root_itself_may_not_be_a_link(tmp_path: Path) -> None:
    os.symlink(tmp_path, tmp_path / "rootlink")
    with pytest.raises(Refused):
        Tree(tmp_path / "rootlink").read("x", limit=1)


def test_write_replaces_a_planted_link_and_never_writes_through_it(tree: Tree, tmp_path: Path) -> None:
    secret = tmp_path / "outside" / "secret"
    os.symlink(secret, tree.root / "p" / "target.md")
    tree.write("p/target.md", "mine")
    assert secret.read_text() == "host secret"
    assert not (tree.root / "p" / "target.md").is_symlink()
    assert (tree.root / "p" / "target.md").read_text() == "mine"
    assert not [n for n in os.listdir(tree.root / "p") if n.endswith(".tmp")]


def test_write_under_a_linked_folder_is_refused(tree: Tree, tmp_path: Path) -> None:
    os.symlink(tmp_path / "outside", tree.root / "p" / ".claude")
    with pytest.raises(Refused):
        tree.write("p/.claude/CLAUDE.md", "x")
    assert sorted(os.listdir(tmp_path / "outside")) == ["secret"]


def test_remove_takes_the_link_not_its_target(tree: Tree, tmp_path: Path) -> None:
    os.symlink(tmp_path / "outside", tree.root / "p" / "gone")
    assert tree.remove("p/gone") is True
    assert (tmp_path / "outside" / "secret").exists()
    os.rename(tree.root / "p", tree.root / "real")
    os.symlink(tmp_path / "outside", tree.root / "p")
    assert tree.remove("p/secret") is False  # through a link: not reached
    assert (tmp_path / "outside" / "secret").exists()


def test_fifos_and_devices_are_not_read(tree: Tree) -> None:
    os.mkfifo(tree.root / "p" / "pipe")
    with pytest.raises(Refused):
        tree.read("p/pipe", limit=10)
    assert [w.path.name for w in tree.walk("p")] == ["a.txt"]


def test_reads_are_capped(tree: Tree) -> None:
    with (tree.root / "p" / "big").open("wb") as fh:
        fh.truncate(50_000_000)
    data, size = tree.read("p/big", limit=1000)
    assert len(data) == 1000 and size == 50_000_000


def test_walks_stop_at_their_limits(tree: Tree) -> None:
    for i in range(30):
        (tree.root / "p" / f"f{i}").write_text("x" * 100)
    with pytest.raises(TooLarge):
        list(tree.walk("p", limits=Limits(max_entries=10)))
    with pytest.raises(TooLarge):
        list(tree.walk("p", limits=Limits(max_bytes=500)))


def test_protected_server_files_are_refused_even_through_a_hard_link(tree: Tree, tmp_path: Path) -> None:
    db = tmp_path / "outside" / "autocode.db"
    db.write_text("SQLite format 3")
    files.protect(db)
    os.link(db, tree.root / "p" / "copy.db")
    with pytest.raises(Refused):
        tree.read("p/copy.db", limit=100)
    assert "copy.db" not in [w.path.name for w in tree.walk("p") if _opens(tree, w)]


def _opens(tree: Tree, item: files.WalkedFile) -> bool:
    try:
        os.close(tree.open_walked(item))
        return True
    except Refused:
        return False


def test_write_without_replace_refuses_an_existing_name(tree: Tree, tmp_path: Path) -> None:
    with pytest.raises(files.Exists):
        tree.write("p/a.txt", "other", replace=False)
    assert (tree.root / "p" / "a.txt").read_text() == "hello"
    os.symlink(tmp_path / "outside" / "secret", tree.root / "p" / "link")
    with pytest.raises(files.Exists):  # a link counts as taken, and is not written through
        tree.write("p/link", "other", replace=False)
    tree.write("p/new.txt", "new", replace=False)
    assert (tree.root / "p" / "new.txt").read_text() == "new"
    assert sorted(os.listdir(tree.root / "p")) == ["a.txt", "link", "new.txt"]  # no temp left


def test_write_checks_the_expected_version_before_replacing(tree: Tree) -> None:
    def refuse(current: os.stat_result | None) -> None:
        assert current is not None and current.st_size == 5
        raise files.Changed("changed")

    with pytest.raises(files.Changed):
        tree.write("p/a.txt", "mine", expect=refuse)
    assert (tree.root / "p" / "a.txt").read_text() == "hello"
    assert sorted(os.listdir(tree.root / "p")) == ["a.txt"]
    tree.write("p/a.txt", "mine", mode=0o751, exact_mode=True, expect=lambda current: None)
    assert (tree.root / "p" / "a.txt").stat().st_mode & 0o777 == 0o751


def test_write_from_stops_at_its_limit(tree: Tree) -> None:
    import io

    assert tree.write_from("p/up.bin", io.BytesIO(b"x" * 10), limit=10) == 10
    with pytest.raises(TooLarge):
        tree.write_from("p/big.bin", io.BytesIO(b"x" * 11), limit=10)
    assert sorted(os.listdir(tree.root / "p")) == ["a.txt", "up.bin"]


def test_mkdir_and_rename_never_follow_links(tree: Tree, tmp_path: Path) -> None:
    tree.mkdir("p/docs")
    with pytest.raises(files.Exists):
        tree.mkdir("p/docs")
    tree.rename("p/a.txt", "p/docs/b.txt")
    assert (tree.root / "p" / "docs" / "b.txt").read_text() == "hello"
    (tree.root / "p" / "c.txt").write_text("c")
    with pytest.raises(files.Exists):
        tree.rename("p/c.txt", "p/docs/b.txt")
    tree.rename("p/c.txt", "p/docs/b.txt", replace=True)
    assert (tree.root / "p" / "docs" / "b.txt").read_text() == "c"
    with pytest.raises(Refused):
        tree.rename("p/docs", "p/docs/inner")
    os.symlink(tmp_path / "outside", tree.root / "p" / "out")
    with pytest.raises(Refused):
        tree.rename("p/out/secret", "p/stolen")
    with pytest.raises(Refused):
        tree.rename("p/docs/b.txt", "p/out/planted")
    with pytest.raises(Refused):
        tree.mkdir("p/out/evil")
    assert sorted(os.listdir(tmp_path / "outside")) == ["secret"]
    with pytest.raises(Missing):  # nothing is made for a source that is not there
        tree.rename("p/none.txt", "p/new/dir/none.txt")
    assert not (tree.root / "p" / "new").exists()
    tree.rename("p/out", "p/out2")  # the link itself moves
    assert os.readlink(tree.root / "p" / "out2") == str(tmp_path / "outside")


def test_open_read_refuses_links_and_special_files(tree: Tree, tmp_path: Path) -> None:
    fd = tree.open_read("p/a.txt")
    try:
        assert os.read(fd, 100) == b"hello"
    finally:
        os.close(fd)
    os.symlink(tmp_path / "outside" / "secret", tree.root / "p" / "link")
    os.mkfifo(tree.root / "p" / "fifo")
    for rel in ("p/link", "p/fifo", "p"):
        with pytest.raises(Refused):
            tree.open_read(rel)
    with pytest.raises(Missing):
        tree.open_read("p/none")
