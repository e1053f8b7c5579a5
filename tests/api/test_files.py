"""A project's workspace from the app: list, read and download, never outside the workspace."""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import Account, make_agent, make_project


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
