"""A project's workspace from the app: list, read and download, never outside the workspace."""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import pytest
from fastapi.testclient import TestClient

from autocode.core.config import Settings
from tests.conftest import ADMIN_PASSWORD, Account, make_agent, make_project


class Response(Protocol):
    """What these tests read of a test client's response (httpx's or httpx2's, by Starlette's version)."""

    status_code: int

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


def test_list_read_and_download_the_workspace(client: TestClient, make_user: Callable[..., Account]) -> None:
    alice = make_user("alice")
    project = make_project(client, alice, make_agent(client, alice)["id"])
    root = Path(project["workspace_path"])
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text("print('hi')\n")
    (root / "logo.bin").write_bytes(b"\x00\x01\x02")
    os.symlink("/etc/passwd", root / "leak")
    base = f"/api/projects/{project['id']}"

    top = client.get(f"{base}/files", headers=alice.headers).json()
    names = [e["name"] for e in top]
    assert "src" in names and "logo.bin" in names and ".claude" in names
    assert ".git" not in names and ".nanobot" not in names and "leak" not in names
    assert top[0]["kind"] == "dir"
    inner = client.get(f"{base}/files", params={"path": "src"}, headers=alice.headers).json()
    assert inner == [{"name": "app.py", "path": "src/app.py", "kind": "file", "size": 12}]

    text = client.get(f"{base}/files/content", params={"path": "src/app.py"}, headers=alice.headers).json()
    assert text.pop("etag")
    assert text == {"path": "src/app.py", "size": 12, "text": "print('hi')\n", "truncated": False}
    binary = client.get(f"{base}/files/content", params={"path": "logo.bin"}, headers=alice.headers).json()
    assert binary["text"] is None and binary["size"] == 3

    for bad in ("../../../etc/passwd", "/etc/passwd", "leak", ".git/config", ".nanobot/IDENTITY.md", "nope.txt"):
        r = client.get(f"{base}/files/content", params={"path": bad}, headers=alice.headers)
        assert r.status_code in (404, 422), (bad, r.status_code, r.text)
        assert "root:" not in r.text
    assert client.get(f"{base}/files", params={"path": "../.."}, headers=alice.headers).status_code in (404, 422)

    r = client.get(f"{base}/archive", headers=alice.headers)
    assert r.status_code == 200 and r.headers["content-type"] == "application/gzip"
    assert 'filename="eshop.tar.gz"' in r.headers["content-disposition"]
    with tarfile.open(fileobj=io.BytesIO(r.content), mode="r:gz") as tar:
        members = tar.getnames()
    assert "eshop/src/app.py" in members and "eshop/.claude/CLAUDE.md" in members
    assert not any(m.split("/")[1:2] in ([".git"], [".nanobot"], ["leak"]) for m in members), members


# -- files in: upload, edit, rename, delete ------------------------------------------------

MAX_FILE = 200_000
MAX_UPLOAD = 300_000


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        admin_username="admin",
        admin_password=ADMIN_PASSWORD,
        max_body_bytes=64 * 1024,
        upload_max_file_bytes=MAX_FILE,
        upload_max_bytes=MAX_UPLOAD,
        upload_max_files=5,
    )


def _setup(client: TestClient, make_user: Callable[..., Account]) -> tuple[Account, str, Path]:
    alice = make_user("alice")
    project = make_project(client, alice, make_agent(client, alice)["id"])
    return alice, f"/api/projects/{project['id']}", Path(project["workspace_path"])


def _upload(
    client: TestClient,
    who: Account,
    base: str,
    files: list[tuple[str, bytes]],
    *,
    folder: str = "",
    overwrite: bool = False,
    paths: bool = True,
) -> Response:
    params: dict[str, str | bool] = {"path": folder}
    if overwrite:
        params["overwrite"] = "true"
    return client.post(
        f"{base}/files/upload",
        params=params,
        headers=who.headers,
        files=[("files", (name.rsplit("/", 1)[-1], data, "application/octet-stream")) for name, data in files],
        data={"paths": [name for name, _ in files]} if paths else None,
    )


def test_upload_files_and_a_folder(client: TestClient, make_user: Callable[..., Account]) -> None:
    alice, base, root = _setup(client, make_user)
    big = os.urandom(150_000)  # over the API's 64 KB body limit: uploads have their own
    r = _upload(client, alice, base, [("notes.txt", b"hello\n"), ("site/css/a.css", b"a{}"), ("site/big.bin", big)])
    assert r.status_code == 201, r.text
    assert [f["path"] for f in r.json()["files"]] == ["notes.txt", "site/css/a.css", "site/big.bin"]
    assert (root / "notes.txt").read_bytes() == b"hello\n"
    assert (root / "site" / "css" / "a.css").read_bytes() == b"a{}"
    assert (root / "site" / "big.bin").read_bytes() == big
    assert (root / "notes.txt").stat().st_mode & 0o777 == 0o644

    # Into a folder, by the files' own names (a plain file picker sends no paths).
    r = _upload(client, alice, base, [("b.css", b"b{}")], folder="site/css", paths=False)
    assert r.status_code == 201, r.text
    assert (root / "site" / "css" / "b.css").read_bytes() == b"b{}"

    # A name already taken: refused as a whole, nothing written; replaced when asked.
    r = _upload(client, alice, base, [("new.txt", b"new"), ("notes.txt", b"other")])
    assert r.status_code == 409 and "notes.txt" in r.json()["detail"], r.text
    assert not (root / "new.txt").exists() and (root / "notes.txt").read_bytes() == b"hello\n"
    r = _upload(client, alice, base, [("new.txt", b"new"), ("notes.txt", b"other")], overwrite=True)
    assert r.status_code == 201, r.text
    assert (root / "notes.txt").read_bytes() == b"other"

    listing = client.get(f"{base}/files", params={"path": "site"}, headers=alice.headers).json()
    assert [e["name"] for e in listing] == ["css", "big.bin"]


@pytest.mark.parametrize(
    "name",
    [
        "../escape.txt",
        "a/../../escape.txt",
        "/etc/escape.txt",
        "a\x00b.txt",
        ".git/config",
        ".nanobot/IDENTITY.md",
        "bad\nname.txt",
        "",
        "dir/",
    ],
)
def test_upload_refuses_bad_names(client: TestClient, make_user: Callable[..., Account], name: str) -> None:
    alice, base, root = _setup(client, make_user)
    before = sorted(p.name for p in root.parent.parent.iterdir())
    r = _upload(client, alice, base, [("fine.txt", b"ok"), (name, b"evil")])
    assert r.status_code == 422, (name, r.status_code, r.text)
    assert isinstance(r.json()["detail"], (str, list))
    assert not (root / "fine.txt").exists()  # checked before anything is written
    assert sorted(p.name for p in root.parent.parent.iterdir()) == before
    assert not list(root.parent.parent.parent.rglob("escape.txt"))
    for folder in ("..", "../..", "/etc", ".git"):
        r = _upload(client, alice, base, [("x.txt", b"x")], folder=folder)
        assert r.status_code in (404, 422), (folder, r.text)


def test_upload_size_caps(client: TestClient, make_user: Callable[..., Account]) -> None:
    alice, base, root = _setup(client, make_user)
    r = _upload(client, alice, base, [("huge.bin", b"x" * (MAX_FILE + 1))])
    assert r.status_code == 413 and "limit per file" in r.json()["detail"], r.text
    r = _upload(client, alice, base, [("a.bin", b"x" * 120_000), ("b.bin", b"x" * 120_000), ("c.bin", b"x" * 120_000)])
    assert r.status_code == 413 and "larger than" in r.json()["detail"], r.text
    r = _upload(client, alice, base, [(f"f{i}.txt", b"x") for i in range(6)])
    assert r.status_code == 413 and "at most 5 files" in r.json()["detail"], r.text
    assert not any((root / n).exists() for n in ("huge.bin", "a.bin", "f0.txt"))
    # Other routes keep the small limit.
    r = client.put(
        f"{base}/files/content", params={"path": "big.txt"}, headers=alice.headers, json={"text": "x" * 70_000}
    )
    assert r.status_code == 413, r.text


def test_upload_never_writes_through_a_link(
    client: TestClient, make_user: Callable[..., Account], tmp_path: Path
) -> None:
    alice, base, root = _setup(client, make_user)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "target.txt").write_text("host file\n")
    os.symlink(outside, root / "linked-dir")
    os.symlink(outside / "target.txt", root / "linked-file.txt")
    (root / "real").mkdir()
    os.symlink(outside, root / "real" / "inner")

    for folder, name in (
        ("linked-dir", "x.txt"),
        ("", "linked-dir/x.txt"),
        ("real/inner", "x.txt"),
        ("real", "inner/target.txt"),
    ):
        r = _upload(client, alice, base, [(name, b"through the link")], folder=folder, overwrite=True)
        assert r.status_code in (409, 422), (folder, name, r.status_code, r.text)
    assert sorted(p.name for p in outside.iterdir()) == ["target.txt"]
    assert (outside / "target.txt").read_text() == "host file\n"

    # Uploading over a link replaces the link itself, never what it points at.
    r = _upload(client, alice, base, [("linked-file.txt", b"mine")], overwrite=True)
    assert r.status_code == 201, r.text
    assert not (root / "linked-file.txt").is_symlink() and (root / "linked-file.txt").read_bytes() == b"mine"
    assert (outside / "target.txt").read_text() == "host file\n"


def test_create_and_edit_a_text_file(client: TestClient, make_user: Callable[..., Account]) -> None:
    alice, base, root = _setup(client, make_user)
    url = f"{base}/files/content"
    r = client.put(url, params={"path": "src/main.py"}, headers=alice.headers, json={"text": "print(1)\n"})
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["path"] == "src/main.py" and first["size"] == 9 and first["etag"]
    assert (root / "src" / "main.py").read_text() == "print(1)\n"

    # A new file never replaces an existing one by accident.
    r = client.put(url, params={"path": "src/main.py"}, headers=alice.headers, json={"text": "oops"})
    assert r.status_code == 409, r.text
    read = client.get(url, params={"path": "src/main.py"}, headers=alice.headers).json()
    assert read["etag"] == first["etag"]

    (root / "src" / "main.py").chmod(0o755)  # an edit keeps the file's mode
    read = client.get(url, params={"path": "src/main.py"}, headers=alice.headers).json()
    r = client.put(
        url, params={"path": "src/main.py"}, headers=alice.headers, json={"text": "print(2)\n", "etag": read["etag"]}
    )
    assert r.status_code == 200, r.text
    assert (root / "src" / "main.py").read_text() == "print(2)\n"
    assert (root / "src" / "main.py").stat().st_mode & 0o777 == 0o755
    saved = r.json()["etag"]

    # The agent changes the file meanwhile: saving the old version is refused, nothing lost.
    with (root / "src" / "main.py").open("a") as fh:
        fh.write("print(3)\n")
    r = client.put(
        url, params={"path": "src/main.py"}, headers=alice.headers, json={"text": "print(2)\n# mine\n", "etag": saved}
    )
    assert r.status_code == 409 and "changed" in r.json()["detail"], r.text
    assert (root / "src" / "main.py").read_text() == "print(2)\nprint(3)\n"
    (root / "src" / "main.py").unlink()
    r = client.put(url, params={"path": "src/main.py"}, headers=alice.headers, json={"text": "again", "etag": saved})
    assert r.status_code == 409 and "deleted" in r.json()["detail"], r.text
    r = client.put(
        url, params={"path": "src/main.py"}, headers=alice.headers, json={"text": "again", "overwrite": True}
    )
    assert r.status_code == 200

    for bad in ("../x.txt", "/etc/x.txt", ".git/config", "", "a\x00b"):
        r = client.put(url, params={"path": bad}, headers=alice.headers, json={"text": "x"})
        assert r.status_code == 422, (bad, r.text)


def test_folders_rename_and_delete(client: TestClient, make_user: Callable[..., Account], tmp_path: Path) -> None:
    alice, base, root = _setup(client, make_user)
    r = client.post(f"{base}/files/folder", json={"path": "docs"}, headers=alice.headers)
    assert r.status_code == 201 and r.json() == {"name": "docs", "path": "docs", "kind": "dir", "size": 0}
    assert client.post(f"{base}/files/folder", json={"path": "docs"}, headers=alice.headers).status_code == 409
    (root / "docs" / "a.md").write_text("# A\n")
    (root / "b.md").write_text("# B\n")

    rename = f"{base}/files/rename"
    r = client.post(rename, json={"from": "docs/a.md", "to": "docs/intro.md"}, headers=alice.headers)
    assert r.status_code == 200 and r.json() == {"name": "intro.md", "path": "docs/intro.md", "kind": "file", "size": 4}
    assert (root / "docs" / "intro.md").read_text() == "# A\n" and not (root / "docs" / "a.md").exists()
    # Onto an existing name: refused unless asked, then replaced.
    r = client.post(rename, json={"from": "b.md", "to": "docs/intro.md"}, headers=alice.headers)
    assert r.status_code == 409, r.text
    assert (root / "docs" / "intro.md").read_text() == "# A\n"
    r = client.post(rename, json={"from": "b.md", "to": "docs/intro.md", "overwrite": True}, headers=alice.headers)
    assert r.status_code == 200 and (root / "docs" / "intro.md").read_text() == "# B\n"
    # A folder moves with its content, into a new folder; never into itself.
    r = client.post(rename, json={"from": "docs", "to": "site/docs"}, headers=alice.headers)
    assert r.status_code == 200 and r.json()["kind"] == "dir"
    assert (root / "site" / "docs" / "intro.md").is_file()
    r = client.post(rename, json={"from": "site", "to": "site/inner"}, headers=alice.headers)
    assert r.status_code == 422, r.text
    for src, dst in (
        ("site", "../site"),
        ("../x", "y"),
        ("site", "/tmp/site"),
        ("site", ".git"),
        (".git", "x"),
        ("missing", "x"),
    ):
        r = client.post(rename, json={"from": src, "to": dst}, headers=alice.headers)
        assert r.status_code in (404, 422), (src, dst, r.status_code, r.text)

    # Links: renamed as links, never followed, on either side.
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("host\n")
    os.symlink(outside, root / "out")
    for src, dst in (("out/keep.txt", "stolen.txt"), ("site/docs/intro.md", "out/intro.md")):
        r = client.post(rename, json={"from": src, "to": dst}, headers=alice.headers)
        assert r.status_code in (404, 409, 422), (src, dst, r.status_code, r.text)
    assert sorted(p.name for p in outside.iterdir()) == ["keep.txt"]
    r = client.post(rename, json={"from": "out", "to": "out2"}, headers=alice.headers)
    assert r.status_code == 200 and (root / "out2").is_symlink()

    delete = f"{base}/files"
    assert client.delete(delete, params={"path": "out2/keep.txt"}, headers=alice.headers).status_code == 404
    assert client.delete(delete, params={"path": "out2"}, headers=alice.headers).status_code == 204
    assert not (root / "out2").is_symlink() and (outside / "keep.txt").read_text() == "host\n"
    assert client.delete(delete, params={"path": "site"}, headers=alice.headers).status_code == 204
    assert not (root / "site").exists()
    for bad in ("", "/", "..", "../..", ".git", "missing.txt"):
        r = client.delete(delete, params={"path": bad}, headers=alice.headers)
        assert r.status_code in (404, 422), (bad, r.status_code, r.text)
    assert root.is_dir() and (root / ".claude").is_dir()


def test_another_users_project_is_not_found(client: TestClient, make_user: Callable[..., Account]) -> None:
    alice, base, root = _setup(client, make_user)
    (root / "mine.txt").write_text("alice's\n")
    eve = make_user("eve")
    calls: list[Response] = [
        _upload(client, eve, base, [("x.txt", b"eve")]),
        client.put(
            f"{base}/files/content",
            params={"path": "mine.txt"},
            headers=eve.headers,
            json={"text": "eve", "overwrite": True},
        ),
        client.post(f"{base}/files/rename", json={"from": "mine.txt", "to": "x.txt"}, headers=eve.headers),
        client.post(f"{base}/files/folder", json={"path": "evil"}, headers=eve.headers),
        client.delete(f"{base}/files", params={"path": "mine.txt"}, headers=eve.headers),
    ]
    assert [r.status_code for r in calls] == [404] * 5, [r.text for r in calls]
    assert sorted(p.name for p in root.iterdir() if not p.name.startswith(".")) == ["mine.txt"]
    assert (root / "mine.txt").read_text() == "alice's\n"


def test_download_one_file(client: TestClient, make_user: Callable[..., Account], tmp_path: Path) -> None:
    alice, base, root = _setup(client, make_user)
    data = os.urandom(3_000_000)  # past what the viewer reads
    (root / "photo ä.bin").write_bytes(data)
    r = client.get(f"{base}/files/raw", params={"path": "photo ä.bin"}, headers=alice.headers)
    assert r.status_code == 200 and r.content == data
    assert r.headers["content-disposition"] == "attachment; filename*=UTF-8''photo%20%C3%A4.bin"
    assert r.headers["content-type"] == "application/octet-stream"
    (tmp_path / "host.txt").write_text("host\n")
    os.symlink(tmp_path / "host.txt", root / "leak.txt")
    os.mkfifo(root / "pipe")
    for bad in ("leak.txt", "pipe", "../../../etc/passwd", ".git/config", "missing", ".claude"):
        r = client.get(f"{base}/files/raw", params={"path": bad}, headers=alice.headers)
        assert r.status_code in (404, 422), (bad, r.status_code, r.text)
        assert "host" not in r.text
    eve = make_user("eve")
    assert client.get(f"{base}/files/raw", params={"path": "photo ä.bin"}, headers=eve.headers).status_code == 404
