"""The supervisor's wake-up watches (inotify) on folders of the user's tree follow no link.

The user owns the folders the supervisor watches (Claude Code's hook events, its transcript)
and may swap one for a link at any moment: the watch must never land on the link's target
(another user's folder, a server folder), neither when first set nor after a swap.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest

from autocode.core.files import Tree
from autocode.supervisor.wakeup import Wakeup

HOOKS = PurePosixPath(".autocode/projects/7")


@pytest.fixture
def wakeup() -> Iterator[Wakeup]:
    w = Wakeup()
    yield w
    w.close()


@pytest.fixture
def world(tmp_path: Path) -> tuple[Tree, Path, Path]:
    user = tmp_path / "users" / "mallory"
    (user / HOOKS).mkdir(parents=True)
    victim = tmp_path / "users" / "victim" / "config"
    victim.mkdir(parents=True)
    return Tree(user), user, victim


def _ino(path: Path) -> int:
    return os.stat(path, follow_symlinks=False).st_ino


def test_a_watched_folder_wakes_on_its_own_changes(wakeup: Wakeup, world: tuple[Tree, Path, Path]) -> None:
    tree, user, _victim = world
    wakeup.watch_tree("hooks", tree, HOOKS, frozenset({"hooks.jsonl"}))
    assert wakeup.watched("hooks")
    assert wakeup.watched_inodes() == [_ino(user / HOOKS)]
    wakeup.drain()  # the first look after a watch is set
    (user / HOOKS / "other.txt").write_text("x")
    assert wakeup.drain() == set()  # not a name it listens to
    with (user / HOOKS / "hooks.jsonl").open("a") as fh:
        fh.write("{}\n")
    assert wakeup.drain() == {"hooks"}


def test_a_folder_swapped_for_a_link_is_not_watched_through_it(wakeup: Wakeup, world: tuple[Tree, Path, Path]) -> None:
    tree, user, victim = world
    wakeup.watch_tree("hooks", tree, HOOKS)
    wakeup.drain()
    place = user / HOOKS
    place.rename(place.with_name("7.old"))
    place.symlink_to(victim, target_is_directory=True)
    assert wakeup.drain() == {"hooks"}  # the move is seen; the place is opened again: a link
    assert not wakeup.watched("hooks")
    assert _ino(victim) not in wakeup.watched_inodes()
    (victim / "hooks.jsonl").write_text("{}\n")
    assert wakeup.drain() == set()
    wakeup.revalidate()  # asked again later: still refused
    assert not wakeup.watched("hooks") and _ino(victim) not in wakeup.watched_inodes()

    # The user puts a real folder back: watched again, that folder and no other.
    place.unlink()
    place.mkdir()
    wakeup.revalidate()
    assert wakeup.watched("hooks")
    assert wakeup.watched_inodes() == [_ino(place)]


def test_a_link_in_place_from_the_start_or_above_is_never_watched(
    wakeup: Wakeup, world: tuple[Tree, Path, Path]
) -> None:
    tree, user, victim = world
    (user / "config").symlink_to(victim.parent, target_is_directory=True)
    wakeup.watch_tree("transcript", tree, PurePosixPath("config/config"))  # through a link above
    wakeup.watch_tree("direct", tree, PurePosixPath("config"))  # the link itself
    assert not wakeup.watched("transcript") and not wakeup.watched("direct")
    assert wakeup.watched_inodes() == []
    (victim / "t.jsonl").write_text("{}\n")
    assert wakeup.drain() == set()


def test_the_parent_swapped_for_a_link_moves_no_watch(wakeup: Wakeup, world: tuple[Tree, Path, Path]) -> None:
    tree, user, victim = world
    wakeup.watch_tree("hooks", tree, HOOKS)
    wakeup.drain()
    # .autocode/projects -> a link to a folder holding a "7" of the victim's
    (victim / "7").mkdir()
    projects = user / ".autocode" / "projects"
    projects.rename(user / ".autocode" / "projects.old")
    projects.symlink_to(victim, target_is_directory=True)
    wakeup.revalidate()
    assert not wakeup.watched("hooks")
    assert _ino(victim / "7") not in wakeup.watched_inodes()
    (victim / "7" / "hooks.jsonl").write_text("{}\n")
    assert wakeup.drain() == set()


def test_a_host_folder_wakes_the_waiter_for_its_names_only(wakeup: Wakeup, tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    wakeup.watch_host("inbox", run, frozenset({"inbox.jsonl"}))
    wakeup.drain()
    (run / "state.json").write_text("{}")  # the supervisor's own file wakes nothing
    assert wakeup.drain() == set()
    with (run / "inbox.jsonl").open("a") as fh:
        fh.write("{}\n")
    assert wakeup.wait(5) == {"inbox"}
