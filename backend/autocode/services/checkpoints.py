"""Checkpoints: one commit per finished step, in a repository the server owns.

The repository is bare and lives outside the user's tree (``data/checkpoints/{id}.git``);
the workspace is read into it through the safe file layer (no link followed, regular files
only, bounded) and git itself is never run: dulwich writes the objects and makes the diffs,
so no configuration, hook, filter or textconv planted in the workspace is ever honoured.
A ``.gitignore`` at the top of the workspace is read as data (patterns only).
"""

from __future__ import annotations

import io
import os
import re
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dulwich.diff_tree import TreeChange, tree_changes
from dulwich.ignore import IgnoreFilter
from dulwich.objects import Blob, Commit, ObjectID
from dulwich.objects import Tree as GitTree
from dulwich.patch import write_tree_diff
from dulwich.refs import Ref
from dulwich.repo import Repo

from autocode.core import files as safe
from autocode.core.layout import Layout, project_rel
from autocode.models import Project, StepDiff, pk
from autocode.services.errors import NotFound

STEP_TRAILER = "AutoCode-Step"
MAX_DIFF_BYTES = 2_000_000
MAX_FILE_BYTES = 50_000_000
SNAPSHOT_LIMITS = safe.Limits(max_entries=50_000, max_bytes=500_000_000, max_seconds=60.0)
MAX_HISTORY = 5000
# Never part of a checkpoint, at any depth: other tools' state and installed dependencies.
ALWAYS_IGNORED = frozenset({".git", ".nanobot", "node_modules", ".venv", "__pycache__"})
AUTHOR = b"AutoCode <autocode@localhost>"
BRANCH = Ref(b"refs/heads/main")
HEAD = Ref(b"HEAD")


class CheckpointFailed(Exception):
    """A step could not be recorded (the message says why)."""


@dataclass(frozen=True)
class Workspace:
    """Where a project's files and its checkpoint repository are."""

    data_dir: Path
    username: str
    slug: str
    project_id: int

    @classmethod
    def of(cls, data_dir: Path, username: str, project: Project) -> Workspace:
        return cls(data_dir, username, project.slug, pk(project))

    @property
    def repo_path(self) -> Path:
        return Layout.at(self.data_dir).checkpoints_dir(self.project_id)

    def tree(self) -> safe.Tree:
        return safe.Tree(Layout.at(self.data_dir).user_dir(self.username))


def _repo(where: Workspace, *, create: bool) -> Repo | None:
    path = where.repo_path
    if (path / "HEAD").is_file():
        return Repo(str(path))
    if not create:
        return None
    path.mkdir(parents=True, mode=0o700, exist_ok=True)
    repo = Repo.init_bare(str(path))
    repo.refs.set_symbolic_ref(HEAD, BRANCH)
    return repo


def _head(repo: Repo) -> ObjectID | None:
    try:
        return repo.refs[BRANCH]
    except KeyError:
        return None


def _ignore_filter(tree: safe.Tree, root: PurePosixPath) -> IgnoreFilter | None:
    try:
        data, _ = tree.read(root / ".gitignore", limit=100_000)
    except safe.FileError:
        return None
    return IgnoreFilter(data.splitlines())


def snapshot(repo: Repo, where: Workspace) -> ObjectID:
    """Store the workspace's files in the repository; the id of its root tree."""
    tree = where.tree()
    root = project_rel(where.slug)
    ignore = _ignore_filter(tree, root)

    def exclude(path: PurePosixPath, is_dir: bool) -> bool:
        if path.name in ALWAYS_IGNORED:
            return True
        return bool(ignore and ignore.is_ignored(str(path) + ("/" if is_dir else "")))

    store = repo.object_store
    dirs: dict[PurePosixPath, GitTree] = {PurePosixPath(): GitTree()}
    try:
        for item in tree.walk(root, limits=SNAPSHOT_LIMITS, exclude=exclude):
            if item.size > MAX_FILE_BYTES:
                continue
            try:
                fd = tree.open_walked(item)
            except (OSError, safe.FileError):
                continue
            with os.fdopen(fd, "rb") as fh:
                blob = Blob.from_string(fh.read(MAX_FILE_BYTES))
            store.add_object(blob)
            for parent in reversed(item.path.parents):
                dirs.setdefault(parent, GitTree())
            mode = 0o100755 if item.mode & stat.S_IXUSR else 0o100644
            dirs[item.path.parent].add(item.path.name.encode(), mode, blob.id)
    except safe.TooLarge as exc:
        raise CheckpointFailed(f"workspace too large for a checkpoint: {exc.message}") from None
    except safe.FileError as exc:
        raise CheckpointFailed(exc.message) from None
    # Children before parents: the deepest folders first.
    for path in sorted(dirs, key=lambda p: len(p.parts), reverse=True):
        if path == PurePosixPath():
            continue
        store.add_object(dirs[path])
        dirs[path.parent].add(path.name.encode(), stat.S_IFDIR, dirs[path].id)
    store.add_object(dirs[PurePosixPath()])
    return dirs[PurePosixPath()].id


def commit_step(where: Workspace, *, step: int, title: str) -> str | None:
    """Record everything in the workspace for a finished step; the commit id."""
    repo = _repo(where, create=True)
    assert repo is not None
    with repo:
        tree_id = snapshot(repo, where)
        commit = Commit()
        commit.tree = tree_id
        head = _head(repo)
        commit.parents = [head] if head is not None else []
        commit.author = commit.committer = AUTHOR
        commit.author_time = commit.commit_time = int(time.time())
        commit.author_timezone = commit.commit_timezone = 0
        commit.encoding = b"UTF-8"
        commit.message = f"Step {step}: {title}\n\n{STEP_TRAILER}: {step}\n".encode()
        repo.object_store.add_object(commit)
        repo.refs[BRANCH] = commit.id
        return commit.id.decode()


def _history(repo: Repo) -> Iterator[Commit]:
    head = _head(repo)
    if head is None:
        return
    for n, entry in enumerate(repo.get_walker(include=[head])):
        if n >= MAX_HISTORY:
            return
        yield entry.commit


def step_commit(repo: Repo, step: int) -> Commit | None:
    """The newest commit recorded for a step."""
    trailer = re.compile(rf"^{STEP_TRAILER}: {step}$", re.MULTILINE)
    for commit in _history(repo):
        if trailer.search(commit.message.decode("utf-8", "replace")):
            return commit
    return None


def step_diff(where: Workspace, project: Project, step: int) -> StepDiff:
    """The diff of one step's checkpoint against the one before it."""
    plan = project.implementation_plan
    if step < 1 or step > len(plan):
        raise NotFound("No such step")
    title = str(plan[step - 1].get("title", ""))
    repo = _repo(where, create=False)
    if repo is None:
        return StepDiff(step=step, title=title, commit=None, diff="")
    with repo:
        commit = step_commit(repo, step)
        if commit is None:
            return StepDiff(step=step, title=title, commit=None, diff="")
        parent = repo[commit.parents[0]] if commit.parents else None
        old_tree = parent.tree if isinstance(parent, Commit) else None
        out = io.BytesIO()
        write_tree_diff(out, repo.object_store, old_tree, commit.tree)
        text = _stat(repo, old_tree, commit.tree) + out.getvalue().decode("utf-8", "replace")
    if len(text) > MAX_DIFF_BYTES:
        text = text[:MAX_DIFF_BYTES] + "\n… diff truncated …\n"
    return StepDiff(step=step, title=title, commit=commit.id.decode(), diff=text)


def _stat(repo: Repo, old: ObjectID | None, new: ObjectID | None) -> str:
    changes = list(tree_changes(repo.object_store, old, new))
    if not changes:
        return ""
    lines = [f" {_change_path(c)} ({c.type})" for c in changes[:200]]
    return "\n".join(lines) + f"\n {len(changes)} file(s) changed\n\n"


def workspace_status(where: Workspace) -> str:
    """What changed in the workspace since the last checkpoint, one `X path` line per file."""
    repo = _repo(where, create=False)
    if repo is None:
        return ""
    with repo:
        head = _head(repo)
        last = repo[head] if head is not None else None
        old = last.tree if isinstance(last, Commit) else None
        try:
            new = snapshot(repo, where)
        except CheckpointFailed as exc:
            return f"(status unavailable: {exc})"
        marks = {"add": "A", "delete": "D", "modify": "M"}
        lines = [f"{marks.get(c.type, 'M')} {_change_path(c)}" for c in tree_changes(repo.object_store, old, new)]
    return "\n".join(lines)[:4000]


def _change_path(change: TreeChange) -> str:
    entry = change.new if change.new is not None and change.new.path else change.old
    path = entry.path if entry is not None else None
    return (path or b"").decode("utf-8", "replace")
