"""Read /proc for the processes of a tmux session, and stop one of them.

Standard library only, no import of autocode: the local runtime calls these functions in the
server, the docker runtime runs this very file, unchanged, inside the user's container
(`python3 -I -S -c <this source> snapshot|stop ...`). The reading is raw (stat lines, command
lines, socket inodes, LISTEN lines of /proc/net/tcp*); runtime/procs.py parses and decides.
Nothing here follows a link: fd links are read with readlink, cwd/exe/root are never touched.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import time

PROC = "/proc"
MAX_PROCS = 2000  # of one session
MAX_CMDLINE = 4096  # bytes read of one command line
MAX_FDS = 4096  # fd entries looked at per process
MAX_LISTEN_LINES = 4096


def _read(path: str, limit: int = 65536) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        return os.read(fd, limit)
    except OSError:
        return None
    finally:
        os.close(fd)


def _stat_line(pid: int | str) -> str | None:
    raw = _read(f"{PROC}/{pid}/stat", 4096)
    return None if raw is None else raw.decode("utf-8", "replace").strip()


def _ppid(line: str) -> int:
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses; the last ")" ends it.
    fields = line[line.rfind(")") + 2 :].split()
    return int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else -1


def _all_stats() -> dict[int, str]:
    stats: dict[int, str] = {}
    try:
        names = os.listdir(PROC)
    except OSError:
        return stats
    for name in names:
        if name.isdigit():
            line = _stat_line(name)
            if line:
                stats[int(name)] = line
    return stats


def _descendants(stats: dict[int, str], roots: list[int]) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, line in stats.items():
        children.setdefault(_ppid(line), []).append(pid)
    found: list[int] = []
    todo = [r for r in roots if r in stats]
    seen = set(todo)
    while todo and len(found) < MAX_PROCS:
        pid = todo.pop()
        found.append(pid)
        for child in children.get(pid, ()):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return found


def _sockets(pid: int) -> list[int]:
    inodes: list[int] = []
    base = f"{PROC}/{pid}/fd"
    try:
        names = os.listdir(base)[:MAX_FDS]
    except OSError:
        return inodes
    for name in names:
        try:
            link = os.readlink(f"{base}/{name}")
        except OSError:
            continue
        if link.startswith("socket:[") and link.endswith("]") and link[8:-1].isdigit():
            inodes.append(int(link[8:-1]))
    return inodes


def _listen_lines(name: str) -> list[str]:
    raw = _read(f"{PROC}/net/{name}", 4 << 20)
    if raw is None:
        return []
    lines: list[str] = []
    for line in raw.decode("ascii", "replace").splitlines()[1:]:
        fields = line.split()
        if len(fields) > 9 and fields[3] == "0A":  # TCP_LISTEN
            lines.append(line.strip())
            if len(lines) >= MAX_LISTEN_LINES:
                break
    return lines


def _uptime() -> float:
    raw = _read(f"{PROC}/uptime", 256)
    return float(raw.split()[0]) if raw else 0.0


def _btime() -> int:
    raw = _read(f"{PROC}/stat", 1 << 20) or b""
    for line in raw.decode("ascii", "replace").splitlines():
        if line.startswith("btime "):
            return int(line.split()[1])
    return 0


def snapshot(roots: list[int], interval: float = 0.25) -> dict[str, object]:
    """The session's processes (descendants of `roots`, the panes' pids) as raw /proc text."""
    first = _all_stats()
    members = _descendants(first, roots)
    before = {pid: first[pid] for pid in members}
    up0 = _uptime()
    if interval > 0:
        time.sleep(interval)
    up1 = _uptime()
    procs: list[dict[str, object]] = []
    for pid in _descendants(_all_stats(), roots):
        line = _stat_line(pid)
        if not line:
            continue
        cmdline = _read(f"{PROC}/{pid}/cmdline", MAX_CMDLINE) or b""
        procs.append(
            {
                "stat": line,
                "before": before.get(pid),
                "cmdline": cmdline.decode("utf-8", "replace"),
                "sockets": _sockets(pid),
            }
        )
    return {
        "clk_tck": os.sysconf("SC_CLK_TCK"),
        "page_size": os.sysconf("SC_PAGE_SIZE"),
        "btime": _btime(),
        "uptime0": up0,
        "uptime1": up1,
        "procs": procs,
        "tcp": _listen_lines("tcp"),
        "tcp6": _listen_lines("tcp6"),
    }


def _starttime(pid: int) -> int | None:
    """The process's start time in ticks, or None once it is gone (or a zombie)."""
    line = _stat_line(pid)
    if not line:
        return None
    fields = line[line.rfind(")") + 2 :].split()
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    return int(fields[19]) if fields[19].isdigit() else None


def _wait_gone(pid: int, started: int, fd: int | None, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        if _starttime(pid) != started:
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        if fd is not None:
            select.select([fd], [], [], min(left, 0.05))  # readable once the process exits
        else:
            time.sleep(min(left, 0.05))


def stop(pid: int, started: int, grace: float = 3.0) -> str:
    """TERM the process `pid` that started at `started` (ticks), KILL it after `grace` seconds.

    Answers "gone" (not that process any more), "term" (it ended on TERM) or "kill". The pidfd
    pins the process: a pid reused after the check is never signalled.
    """
    fd: int | None = None
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        fd = None
    try:
        if _starttime(pid) != started:
            return "gone"
        for sig, wait, answer in ((signal.SIGTERM, grace, "term"), (signal.SIGKILL, 5.0, "kill")):
            try:
                if fd is not None:
                    signal.pidfd_send_signal(fd, sig)
                else:
                    os.kill(pid, sig)
            except ProcessLookupError:
                return answer
            if _wait_gone(pid, started, fd, wait):
                return answer
        return "alive"
    finally:
        if fd is not None:
            os.close(fd)


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[1] == "snapshot":
        roots = [int(word) for word in argv[3:] if word.isdigit()]
        sys.stdout.write(json.dumps(snapshot(roots, min(float(argv[2]), 2.0))))
        return 0
    if len(argv) == 5 and argv[1] == "stop" and argv[2].isdigit() and argv[3].isdigit():
        sys.stdout.write(json.dumps({"result": stop(int(argv[2]), int(argv[3]), float(argv[4]))}))
        return 0
    sys.stderr.write("usage: snapshot INTERVAL PID... | stop PID STARTTIME GRACE\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
