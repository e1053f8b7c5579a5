"""runtime/proc_collect.py against the real kernel: a listening child is found with its port,
a process outside the roots is not, and a stop aimed at a reused pid signals nothing."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from autocode.runtime import proc_collect, procs

LISTENER = """
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True)
time.sleep(120)
"""


@pytest.fixture
def listener() -> Iterator[tuple[subprocess.Popen[str], int]]:
    proc = subprocess.Popen([sys.executable, "-c", LISTENER], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield proc, port
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_a_listening_child_is_found_with_its_port(listener: tuple[subprocess.Popen[str], int]) -> None:
    proc, port = listener
    raw = proc_collect.snapshot([proc.pid], 0.1)
    (found,) = procs.session_processes(raw, [procs.Pane("%0", proc.pid, "w")])
    assert found.pid == proc.pid and "socket" in found.command
    assert found.listening == (procs.Listener("127.0.0.1", port),)
    assert abs(found.started_at - time.time()) < 60
    # roots that are not its ancestors: not found, though it runs and listens
    assert procs.session_processes(proc_collect.snapshot([999_999_999], 0), []) == []


def test_a_stop_for_another_start_time_signals_nothing(listener: tuple[subprocess.Popen[str], int]) -> None:
    proc, _port = listener
    raw = proc_collect.snapshot([proc.pid], 0)
    (found,) = procs.session_processes(raw, [procs.Pane("%0", proc.pid, "w")])
    assert proc_collect.stop(proc.pid, found.start_ticks + 1, 0.5) == "gone"
    assert proc.poll() is None
    assert proc_collect.stop(proc.pid, found.start_ticks, 3.0) == "term"
    assert proc.wait(timeout=5) == -15
