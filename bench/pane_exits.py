#!/usr/bin/env python3
"""How often tmux loses a pane process's exit status, and whether the runtime recovers it.

Each round starts a session whose pane runs `sh -c 'echo up; read x; exit 7'`, waits for
`up`, presses Enter, then polls for up to `--wait` seconds (every 50 ms) with two readers:

* tmux alone - `list-panes -F '#{pane_dead} #{pane_dead_status}'`, the raw answer;
* runtime    - `LocalRuntime.pane_info`, which prods tmux with a no-op job when a pane is
  dead with no status.

The rounds alternate which reader is used, so both see the same machine. Prints a
Markdown table for bench/RESULTS.md.

Run: .venv/bin/python bench/pane_exits.py [--rounds 200] [--wait 5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "backend"))

from autocode.runtime import session_name, target  # noqa: E402
from autocode.runtime.local import LocalRuntime  # noqa: E402


def raw_status(rt: LocalRuntime, user: str, tgt: str) -> tuple[bool, str]:
    out = subprocess.run(
        [
            "tmux",
            "-S",
            str(rt.socket_path(user)),
            "list-panes",
            "-t",
            f"={tgt}",
            "-F",
            "#{pane_dead} #{pane_dead_status}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return out[0] == "1", out[1] if len(out) > 1 else ""


def one_round(rt: LocalRuntime, user: str, n: int, reader: str, wait: float) -> float | None:
    """Seconds from Enter until the status was known, or None when it never came."""
    slug = f"x{n}"
    cwd = rt.workspace(user) / "projects" / slug
    cwd.mkdir(parents=True, exist_ok=True)
    session = session_name(user, slug)
    rt.create_session(user, session, window="agent", command=["sh", "-c", "echo up; read x; exit 7"], cwd=cwd)
    tgt = target(session, "agent")
    deadline = time.monotonic() + 10
    while "up" not in rt.capture(user, tgt):
        if time.monotonic() > deadline:
            raise RuntimeError("the pane never started")
        time.sleep(0.02)
    rt.send_keys(user, tgt, "Enter")
    start = time.monotonic()
    result = None
    while time.monotonic() - start < wait:
        if reader == "raw":
            dead, status = raw_status(rt, user, tgt)
            known = dead and status == "7"
        else:
            info = rt.pane_info(user, tgt)
            known = info.dead and info.dead_status == 7
        if known:
            result = time.monotonic() - start
            break
        time.sleep(0.05)
    rt.kill_session(user, session)
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=200, help="rounds per reader")
    p.add_argument("--wait", type=float, default=5.0, help="seconds to wait for a status")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rt = LocalRuntime(data_dir=Path(tmp))
        user = "b" + uuid.uuid4().hex[:8]
        results: dict[str, list[float | None]] = {"raw": [], "runtime": []}
        try:
            for n in range(args.rounds * 2):
                reader = "raw" if n % 2 == 0 else "runtime"
                results[reader].append(one_round(rt, user, n, reader, args.wait))
        finally:
            rt.remove_user(user)
    tmux = subprocess.run(["tmux", "-V"], capture_output=True, text=True).stdout.strip()
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {tmux}, "
        f"{args.rounds} rounds per reader, status awaited {args.wait:g} s\n"
    )
    print("| reader | status never came | p50 until known | max until known |")
    print("|---|---|---|---|")
    for name, label in (("raw", "tmux alone (`list-panes`)"), ("runtime", "`pane_info`")):
        got = sorted(x for x in results[name] if x is not None)
        lost = len(results[name]) - len(got)
        p50 = f"{got[len(got) // 2] * 1000:.0f} ms" if got else "-"
        top = f"{got[-1] * 1000:.0f} ms" if got else "-"
        print(f"| {label} | {lost} / {len(results[name])} | {p50} | {top} |")


if __name__ == "__main__":
    main()
