"""The server hears of new rows by a poke, not by polling: a supervisor's commit (another
process) and the server's own writes reach an events socket with the safety poll an hour away."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.sync.connection import Connection

from autocode.core import wake
from autocode.core.layout import Layout
from tests.conftest import ADMIN_PASSWORD, Api, ServerProcess, wait_until

# Longer than any wait below: a frame that arrives came by a poke.
NO_SAFETY_POLL = {"AUTOCODE_EVENTS_SAFETY_POLL_SECONDS": "3600"}

# What a supervisor does: its entry's engine, then one log row committed through the service.
SUPERVISOR_WRITE = """
import sys
from pathlib import Path
from autocode.core.config import Settings
from autocode.models import LogLevel
from autocode.services.projects import add_log
from autocode.supervisor import boot
from sqlmodel import Session

engine = boot.engine_for(Settings(data_dir=Path(sys.argv[1])))
with Session(engine) as session:
    add_log(session, project_id=int(sys.argv[2]), level=LogLevel.INFO, message=sys.argv[3])
"""


class Frames:
    """An events socket read in a thread; frames keep their order."""

    def __init__(self, ws: Connection) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while True:
                frame = self.ws.recv(timeout=120)
                if isinstance(frame, str):
                    self.frames.append(json.loads(frame))
        except (ConnectionClosed, TimeoutError, OSError):
            pass

    def messages(self) -> list[str]:
        return [str(f["entry"]["message"]) for f in self.frames if f["type"] == "log"]

    def states(self) -> list[dict[str, Any]]:
        return [f["project"] for f in self.frames if f["type"] == "state"]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    srv = ServerProcess(tmp_path / "data", env=NO_SAFETY_POLL)
    try:
        yield srv
    finally:
        srv.stop()


@contextmanager
def _watch(server: ServerProcess, api: Api, project_id: int) -> Iterator[Frames]:
    url = f"{server.ws_base}/ws/projects/{project_id}/events?ticket={api.ticket()}"
    with connect(url, open_timeout=10) as ws:
        frames = Frames(ws)
        wait_until(lambda: frames.states(), timeout=10)  # the connect snapshot: the feed is live
        yield frames


def test_a_row_committed_by_another_process_reaches_the_socket(server: ServerProcess) -> None:
    api = Api(server.base, "admin", ADMIN_PASSWORD)
    project = api.project()
    with _watch(server, api, project["id"]) as frames:
        subprocess.run(
            [sys.executable, "-c", SUPERVISOR_WRITE, str(server.data_dir), str(project["id"]), "poked-row-1"],
            check=True,
            timeout=60,
        )
        wait_until(lambda: "poked-row-1" in frames.messages(), timeout=20)


def test_the_servers_own_write_reaches_the_socket(server: ServerProcess) -> None:
    api = Api(server.base, "admin", ADMIN_PASSWORD)
    project = api.project()
    with _watch(server, api, project["id"]) as frames:
        r = api.http.put(f"/api/projects/{project['id']}", json={"description": "renamed by a poke"})
        assert r.status_code == 200, r.text
        wait_until(lambda: any(s["description"] == "renamed by a poke" for s in frames.states()), timeout=20)


def test_the_socket_is_the_servers_alone(server: ServerProcess) -> None:
    path = Layout.at(server.data_dir).wake_socket
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_poke_never_blocks_or_raises(tmp_path: Path) -> None:
    # No server: nothing bound at the path, then no folder at all.
    wake.DatagramSender(tmp_path / "none" / "events.sock").send()
    folder = tmp_path / "run"
    folder.mkdir()
    path = folder / "events.sock"
    wake.DatagramSender(path).send()
    # A server that does not read: its queue fills, and further pokes are dropped at once.
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as deaf:
        deaf.bind(str(path))
        sender = wake.DatagramSender(path)
        for _ in range(1000):
            sender.send()
        sender.close()
        received = 0
        deaf.setblocking(False)
        while received < 1000:
            try:
                deaf.recv(64)
            except BlockingIOError:
                break
            received += 1
        assert 0 < received < 1000


def test_a_long_data_dir_path_still_takes_pokes(tmp_path: Path) -> None:
    # sockaddr_un holds 108 bytes; installations (and pytest's temp dirs) may be deeper than that.
    deep = tmp_path.joinpath(*(["d" * 40] * 3)) / "run" / "server" / "events.sock"
    assert len(os.fsencode(deep)) > 108
    heard = threading.Event()

    async def main() -> None:
        receiver = wake.DatagramReceiver(deep)
        receiver.start(asyncio.get_running_loop(), heard.set)
        try:
            await asyncio.to_thread(wake.DatagramSender(deep).send)
            for _ in range(200):
                if heard.is_set():
                    return
                await asyncio.sleep(0.01)
        finally:
            receiver.close()

    asyncio.run(main())
    assert heard.is_set()
