"""Output pacing of a terminal client: a flood is read at a bounded rate, nothing is lost."""

from __future__ import annotations

import asyncio
import time

from autocode.runtime.terminal import TerminalManager

FLOOD = 8_000_000
# The promise: 64 KiB a frame at 60 frames a second, plus the one read (64 KiB) that crosses it.
FRAME_SECONDS = 1 / 60
PER_FRAME = 64 * 1024 + 65536


async def _drain(manager: TerminalManager, argv: list[str]) -> tuple[bytes, float]:
    client = await manager.open("alice", argv, cols=80, rows=24)
    out = bytearray()
    start = time.monotonic()
    try:
        while time.monotonic() - start < 60:
            chunk = await asyncio.wait_for(client.read(), timeout=30)
            if chunk is None:
                break
            out += chunk
    finally:
        await manager.release(client)
    return bytes(out), time.monotonic() - start


def test_a_flood_is_read_no_faster_than_the_frame_budget() -> None:
    argv = ["sh", "-c", f"stty raw -echo; head -c {FLOOD} /dev/zero | tr '\\0' x; echo; echo FLOOD-$((1+1))-DONE"]
    out, elapsed = asyncio.run(_drain(TerminalManager(per_user=2), argv))
    # Everything arrives (a bare pty has no tmux to skip ahead: the writer simply waits)...
    assert out.count(b"x") == FLOOD
    assert b"FLOOD-2-DONE" in out
    # ...but no faster than one budget (plus the read that crossed it) per frame.
    windows = elapsed / FRAME_SECONDS + 1
    assert len(out) <= windows * PER_FRAME, (len(out), elapsed)
    # Unpaced, 8 MB through a pty takes well under a tenth of this.
    assert elapsed >= FLOOD / (PER_FRAME / FRAME_SECONDS) * 0.9
