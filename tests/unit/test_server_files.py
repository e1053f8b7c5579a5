"""The server's own files: one reader of growing JSON Lines, one appender, one atomic writer,
and the run folder's layout the server and the supervisor share."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import pytest

from autocode import hook
from autocode.core import jsonl, layout
from autocode.core.files import Tree, write_own

REL = PurePosixPath("inbox.jsonl")


@pytest.mark.parametrize(
    ("content", "offset", "items", "next_offset"),
    [
        (b"", 0, [], 0),
        (b'{"a": 1}\n', 0, [{"a": 1}], 9),
        (b'{"a": 1}\n{"b": 2', 0, [{"a": 1}], 9),  # a line being written waits
        (b'{"a": 1}\n{"b": 2}\n', 9, [{"b": 2}], 18),
        (b'not json\n[1, 2]\n"text"\n{"c": 3}\n', 0, [{"c": 3}], 32),  # only JSON objects count
        (b'{"a": 1}\n', 20, [], 0),  # the file shrank (replaced): read again from the start
    ],
)
def test_read_new_objects(tmp_path: Path, content: bytes, offset: int, items: list[object], next_offset: int) -> None:
    (tmp_path / REL.name).write_bytes(content)
    assert jsonl.read_new_objects(Tree(tmp_path), REL, offset) == (items, next_offset)


def test_a_missing_file_gives_nothing_and_keeps_the_offset(tmp_path: Path) -> None:
    assert jsonl.read_new_objects(Tree(tmp_path), REL, 7) == ([], 7)


def test_a_line_longer_than_one_read_is_skipped_not_waited_for(tmp_path: Path) -> None:
    (tmp_path / REL.name).write_bytes(b'{"x": "' + b"y" * 100 + b'"}\n{"ok": true}\n')
    tree = Tree(tmp_path)
    items, offset = jsonl.read_new_objects(tree, REL, 0, limit=64)
    assert items == [] and offset == 64
    seen: list[object] = []
    for _ in range(4):  # bounded: the rest of the long line, then the next one
        got, offset = jsonl.read_new_objects(tree, REL, offset, limit=64)
        seen += got
    assert seen == [{"ok": True}]


def test_appended_objects_are_read_back_in_order(tmp_path: Path) -> None:
    path = tmp_path / "run" / "instructions.jsonl"
    for n in range(3):
        jsonl.append_object(path, {"n": n})
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    items, offset = jsonl.read_new_objects(Tree(path.parent), PurePosixPath(path.name), 0)
    assert items == [{"n": 0}, {"n": 1}, {"n": 2}] and offset == path.stat().st_size


def test_write_own_replaces_whole_and_keeps_an_existing_file_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "run" / "state.json"
    assert write_own(path, "one") and path.read_text() == "one"
    assert write_own(path, "two") and path.read_text() == "two"
    assert not write_own(path, "three", replace=False) and path.read_text() == "two"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert sorted(os.listdir(path.parent)) == ["state.json"]  # no temp file left behind


def test_write_own_replaces_a_link_instead_of_writing_through_it(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("keep")
    path = tmp_path / "cursor"
    path.symlink_to(target)
    write_own(path, "42")
    assert not path.is_symlink() and path.read_text() == "42" and target.read_text() == "keep"


def test_the_run_folder_is_spelled_once(tmp_path: Path) -> None:
    where = layout.Layout.at(tmp_path)
    run = where.run_dir(7)
    assert run == tmp_path.resolve() / "run" / "projects" / "7"
    assert where.inbox(7) == run / layout.INBOX_FILE
    assert where.instructions(7) == run / layout.INSTRUCTIONS_FILE
    assert where.supervisor_state(7) == run / layout.STATE_FILE
    assert where.supervisor_log(7) == run / layout.SUPERVISOR_LOG
    assert where.brain_dir(7).parent == run


def test_the_hook_writes_where_the_layout_says(tmp_path: Path) -> None:
    hook.record(str(tmp_path), b'{"hook_event_name": "Stop"}')
    assert os.listdir(tmp_path) == [layout.HOOKS_FILE]
    assert layout.hooks_file(3) == layout.hooks_rel(3) / layout.HOOKS_FILE
