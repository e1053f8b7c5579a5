"""One rule each: a project's tmux session name, and whether a path stays inside a folder."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from autocode.core.files import parse_rel
from autocode.core.layout import Layout, check_rel, within
from autocode.runtime import session_name
from autocode.runtime.base import PathOutsideWorkspace, tree_rel, validate_name

ROOT = PurePosixPath("/workspace/projects/shop")
LONGEST_USER = "u" * 32  # USERNAME_PATTERN's longest
LONGEST_SLUG = "s" * 40  # SLUG_PATTERN's longest


@pytest.mark.parametrize(
    ("path", "rel"),
    [
        ("src/a.py", "src/a.py"),
        (".", "."),
        ("", "."),
        ("/workspace/projects/shop", "."),
        ("/workspace/projects/shop/", "."),
        ("/workspace/projects/shop/a/../b", "b"),
        ("a/../b", "b"),
        ("./a//b/", "a/b"),
        ("..", None),
        ("a/../../x", None),
        ("/workspace/projects/shopx", None),
        ("/workspace/projects", None),
        ("/etc", None),
        ("a\x00", None),
    ],
)
def test_within(path: str, rel: str | None) -> None:
    assert within(ROOT, path) == (PurePosixPath(rel) if rel is not None else None)


@pytest.mark.parametrize(
    ("path", "rel"),
    [
        ("/data/users/bob", "."),
        ("/data/users/bob/projects/shop", "projects/shop"),
        ("/data/users/bob/projects/../config", "config"),
        ("/data/users/bobby/x", None),
        ("/data/users/bob/../alice", None),
        ("projects/shop", None),  # the runtime is given absolute paths only
    ],
)
def test_tree_rel_is_the_same_rule(path: str, rel: str | None) -> None:
    root = Path("/data/users/bob")
    if rel is None:
        with pytest.raises(PathOutsideWorkspace):
            tree_rel(root, Path(path))
    else:
        assert tree_rel(root, Path(path)) == PurePosixPath(rel)


@pytest.mark.parametrize(
    ("username", "slug", "expected"),
    [
        ("bob", "shop", "bob-shop"),
        ("bob", "shop-2", "bob-shop-2"),
        ("u" * 23, "s" * 40, "u" * 23 + "-" + "s" * 40),  # 64: still the plain name
    ],
)
def test_session_name_is_username_dash_slug_when_it_fits(username: str, slug: str, expected: str) -> None:
    assert session_name(username, slug) == expected


def test_session_name_of_the_longest_username_and_slug_is_a_name_tmux_accepts() -> None:
    names = {session_name(LONGEST_USER, LONGEST_SLUG[:-1] + end) for end in "abc"}
    assert len(names) == 3  # distinct projects keep distinct sessions
    for name in names:
        assert validate_name(name, "session") == name
        assert len(name) <= 64 and name.startswith(LONGEST_USER + "-")
    assert session_name(LONGEST_USER, LONGEST_SLUG) == session_name(LONGEST_USER, LONGEST_SLUG)


@pytest.mark.parametrize(
    ("rel", "ok"),
    [
        ("projects/shop", True),
        ("projects/./shop/", True),
        (".", True),
        ("../alice", False),
        ("projects/../../alice", False),
        ("/etc", False),
        ("a\x00b", False),
        ("x" * 300, False),  # longer than a name may be: refused here as by core.files
    ],
)
def test_host_paths_take_relative_paths_by_the_file_layers_rule(rel: str, ok: bool) -> None:
    layout = Layout(Path("/data"))
    if ok:
        assert layout.host_path("bob", PurePosixPath(rel)).is_relative_to("/data/users/bob")
        assert check_rel(rel) == parse_rel(rel)
    else:
        with pytest.raises(ValueError):
            layout.host_path("bob", PurePosixPath(rel))
