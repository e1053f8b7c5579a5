"""The workspace (or a folder of it) as a streamed .zip: the same files as the .tar.gz."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from autocode.core.config import Settings
from tests.conftest import Account, make_agent, make_project


def _tar_files(content: bytes) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(content), mode="r:gz") as tar:
        for member in tar.getmembers():
            fh = tar.extractfile(member)
            assert fh is not None
            out[member.name] = fh.read()
    return out


def _zip_files(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        assert zf.testzip() is None
        return {info.filename: zf.read(info) for info in zf.infolist()}


def test_zip_has_the_same_files_as_the_tar_gz(client: TestClient, make_user: Callable[..., Account]) -> None:
    alice = make_user("alice")
    project = make_project(client, alice, make_agent(client, alice)["id"])
    root = Path(project["workspace_path"])
    (root / "src" / "deep").mkdir(parents=True)
    (root / "src" / "app.py").write_text("print('hi')\n")
    (root / "src" / "deep" / "blob.bin").write_bytes(os.urandom(300_000))  # several chunks
    (root / "src" / "deep" / "zeros.bin").write_bytes(b"\x00" * 2_000_000)
    (root / "empty.txt").write_bytes(b"")
    (root / "ünïcode name.txt").write_text("ok\n")
    (root / "old.txt").write_text("old\n")
    os.utime(root / "old.txt", (0, 0))  # before 1980: zip stores 1980-01-01
    os.symlink("/etc/passwd", root / "leak")
    os.symlink("/etc", root / "src" / "etc")
    os.mkfifo(root / "pipe")
    base = f"/api/projects/{project['id']}/archive"

    tar = client.get(base, headers=alice.headers)
    assert tar.status_code == 200
    r = client.get(base, params={"format": "zip"}, headers=alice.headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    assert 'filename="eshop.zip"' in r.headers["content-disposition"]
    assert "content-length" not in r.headers  # streamed
    zipped = _zip_files(r.content)
    assert zipped == _tar_files(tar.content)
    assert zipped["eshop/src/app.py"] == b"print('hi')\n"
    assert "eshop/.claude/CLAUDE.md" in zipped
    assert not any(n.split("/")[1] in (".git", ".nanobot", "leak", "pipe") for n in zipped), sorted(zipped)
    assert not any("/etc/" in n for n in zipped)
    assert b"root:" not in r.content

    # One folder: its own name at the top, in both formats.
    r = client.get(base, params={"format": "zip", "path": "src"}, headers=alice.headers)
    assert r.status_code == 200, r.text
    assert 'filename="eshop-src.zip"' in r.headers["content-disposition"]
    folder = _zip_files(r.content)
    assert sorted(folder) == ["src/app.py", "src/deep/blob.bin", "src/deep/zeros.bin"]
    tar = client.get(base, params={"path": "src"}, headers=alice.headers)
    assert tar.status_code == 200 and _tar_files(tar.content) == folder


def test_zip_refusals(client: TestClient, make_user: Callable[..., Account]) -> None:
    alice = make_user("alice")
    bob = make_user("bob")
    project = make_project(client, alice, make_agent(client, alice)["id"])
    root = Path(project["workspace_path"])
    (root / "notes.txt").write_text("n\n")
    os.symlink("/etc", root / "linked")
    base = f"/api/projects/{project['id']}/archive"
    for path, code in (
        ("linked", 409),
        ("notes.txt", 404),
        ("nope", 404),
        (".git", 404),
        ("../..", 422),
        ("/etc", 404),
        ("a\x00b", 422),
    ):
        for fmt in ("zip", "tar.gz"):
            r = client.get(base, params={"format": fmt, "path": path}, headers=alice.headers)
            assert r.status_code == code, (path, fmt, r.status_code, r.text)
            assert "root:" not in r.text
    assert client.get(base, params={"format": "rar"}, headers=alice.headers).status_code == 422
    assert client.get(base, params={"format": "zip"}, headers=bob.headers).status_code == 404


def test_a_file_shrinking_while_it_is_zipped_ends_the_stream_with_an_error(
    client: TestClient, settings: Settings, make_user: Callable[..., Account]
) -> None:
    from autocode.services import archives
    from autocode.services import files as file_service
    from autocode.services.errors import Invalid

    alice = make_user("alice")
    project = make_project(client, alice, make_agent(client, alice)["id"])
    root = Path(project["workspace_path"])
    (root / "big.bin").write_bytes(os.urandom(1_000_000))
    source = file_service.archive_source(settings.data_path, "alice", project["slug"])
    chunks = archives.zip_chunks(source)
    first = next(chunks)  # mid-way through big.bin (files are walked in name order)
    assert first.startswith(b"PK\x03\x04")
    os.truncate(root / "big.bin", 10)
    try:
        for _ in chunks:
            pass
    except Invalid as exc:
        assert "changed while the download was made" in exc.message
    else:
        raise AssertionError("a shrunk file must not end the zip as if it were whole")
    finally:
        chunks.close()


def test_the_client_sees_a_cut_stream_not_a_cut_zip(tmp_path: Path) -> None:
    import httpx

    from tests.conftest import ADMIN_PASSWORD, Api, ServerProcess

    server = ServerProcess(tmp_path / "data")
    try:
        admin = Api(server.base, "admin", ADMIN_PASSWORD)
        project = admin.project(name="Shop", slug="shop")
        big = Path(project["workspace_path"]) / "big.bin"
        big.write_bytes(os.urandom(40_000_000))  # far more than the sockets buffer
        got = 0
        with pytest.raises(httpx.RemoteProtocolError):
            with admin.http.stream(
                "GET",
                f"/api/projects/{project['id']}/archive",
                params={"format": "zip"},
                headers={"Accept-Encoding": "identity"},
                timeout=60,
            ) as r:
                assert r.status_code == 200
                for chunk in r.iter_raw():
                    if got == 0:
                        os.truncate(big, 10)
                    got += len(chunk)
        assert 0 < got < 40_000_000
    finally:
        server.stop()
