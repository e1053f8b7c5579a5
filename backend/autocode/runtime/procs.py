"""The processes of a tmux session, decided from raw /proc text (pure, no I/O).

runtime/proc_collect.py reads /proc (in the server for the local runtime, inside the user's
container for docker); what it answers is the user's data as much as anything in their
container, so everything here is checked, bounded and never trusted to be well formed. A
process belongs to the session only when the kernel's parent links lead from it to one of the
session's pane processes, which tmux names.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

MAX_PROCESSES = 2000
MAX_COMMAND = 1000  # characters of a command line shown
MAX_WINDOW_NAME = 64
_PANE_RE = re.compile(r"^(%\d{1,9})\t(\d{1,9})\t(@\d{1,9})$")
_WINDOW_RE = re.compile(r"^(@\d{1,9})\t(.*)$")
_HEX_RE = re.compile(r"^[0-9A-Fa-f]+$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


StopResult = Literal["term", "kill", "gone", "alive"]
STOP_RESULTS: dict[str, StopResult] = {"term": "term", "kill": "kill", "gone": "gone", "alive": "alive"}


class SnapshotError(ValueError):
    """What the collector answered is not a snapshot."""


@dataclass(frozen=True)
class Pane:
    """One pane of the session: tmux's id for it, its process, the name of its window."""

    pane_id: str
    pid: int
    window: str


@dataclass(frozen=True)
class Listener:
    """A listening TCP socket: the bound address and port."""

    address: str
    port: int


@dataclass(frozen=True)
class ProcStat:
    """The fields of /proc/PID/stat this module uses."""

    pid: int
    comm: str
    state: str
    ppid: int
    pgrp: int
    tty_nr: int
    tpgid: int
    utime: int
    stime: int
    starttime: int
    rss_pages: int


@dataclass(frozen=True)
class ProcessInfo:
    """One process of the session as the processes list shows it."""

    pid: int
    ppid: int
    command: str
    state: str
    cpu_percent: float
    rss_bytes: int
    started_at: float  # epoch seconds
    start_ticks: int  # with pid, identifies the process (a reused pid has another start)
    listening: tuple[Listener, ...]
    window: str | None  # the window it runs under
    pane_id: str | None  # set when the window shows this process (its foreground job)


@dataclass(frozen=True)
class ListeningPort:
    """A listening TCP port of the session and the process that holds it."""

    port: int
    address: str
    pid: int
    command: str


def parse_panes(panes_out: str, windows_out: str) -> list[Pane]:
    """Panes from `list-panes -s -F '#{pane_id}\\t#{pane_pid}\\t#{window_id}'` and names from
    `list-windows -F '#{window_id}\\t#{window_name}'`.

    Window names are the user's (a shell can rename its window), so they only ever label a
    pane: the ids and pids come from lines that are numbers only.
    """
    names: dict[str, str] = {}
    for line in windows_out.splitlines():
        match = _WINDOW_RE.match(line)
        if match and match.group(1) not in names:
            names[match.group(1)] = clean_text(match.group(2), MAX_WINDOW_NAME)
    panes: list[Pane] = []
    for line in panes_out.splitlines():
        match = _PANE_RE.match(line)
        if match and int(match.group(2)) > 1:
            panes.append(Pane(match.group(1), int(match.group(2)), names.get(match.group(3), "")))
    return panes


def clean_text(value: str, limit: int) -> str:
    """Text fit to show: control characters as spaces, at most `limit` characters."""
    return _CONTROL_RE.sub(" ", value[:limit])


def parse_stat(line: str) -> ProcStat | None:
    """Fields of one /proc/PID/stat line, or None when it is not one."""
    # "pid (comm) state ppid ...": comm may hold spaces and ")" itself; the last ")" ends it.
    open_at, close_at = line.find(" ("), line.rfind(")")
    if open_at < 1 or close_at < open_at:
        return None
    head, comm, rest = line[:open_at], line[open_at + 2 : close_at], line[close_at + 1 :].split()
    if not head.isdigit() or len(rest) < 22:
        return None
    try:
        state = rest[0]
        numbers = [int(rest[i]) for i in (1, 2, 4, 5, 11, 12, 19, 21)]
    except ValueError:
        return None
    ppid, pgrp, tty_nr, tpgid, utime, stime, starttime, rss = numbers
    if len(state) != 1 or min(ppid, pgrp, utime, stime, starttime) < 0:
        return None
    return ProcStat(
        pid=int(head),
        comm=clean_text(comm, 64),
        state=state,
        ppid=ppid,
        pgrp=pgrp,
        tty_nr=tty_nr,
        tpgid=tpgid,
        utime=utime,
        stime=stime,
        starttime=starttime,
        rss_pages=max(rss, 0),
    )


def address_text(hex_address: str, *, v6: bool, byteorder: str = "little") -> str | None:
    """The address of a /proc/net/tcp{,6} field (32-bit words in the kernel's byte order)."""
    if len(hex_address) != (32 if v6 else 8) or not _HEX_RE.match(hex_address):
        return None
    raw = bytes.fromhex(hex_address)
    if byteorder == "little":
        raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    address = ipaddress.IPv6Address(raw) if v6 else ipaddress.IPv4Address(raw)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def parse_listeners(lines: Sequence[str], *, v6: bool, byteorder: str = "little") -> dict[int, Listener]:
    """Socket inode -> listener, from the LISTEN lines of /proc/net/tcp or tcp6."""
    found: dict[int, Listener] = {}
    for line in lines:
        fields = line.split()
        if len(fields) < 10 or fields[3] != "0A" or not fields[9].isdigit():
            continue
        address, _, port_hex = fields[1].partition(":")
        if len(port_hex) != 4 or not _HEX_RE.match(port_hex):
            continue
        text = address_text(address, v6=v6, byteorder=byteorder)
        port = int(port_hex, 16)
        inode = int(fields[9])
        if text is not None and port > 0 and inode > 0:
            found[inode] = Listener(text, port)
    return found


def members(stats: Mapping[int, ProcStat], roots: Sequence[int]) -> dict[int, int]:
    """The processes reached from the roots through parent links: pid -> its root's pid."""
    children: dict[int, list[int]] = {}
    for stat in stats.values():
        children.setdefault(stat.ppid, []).append(stat.pid)
    found: dict[int, int] = {}
    for root in roots:
        if root not in stats or root in found:
            continue
        todo = [root]
        found[root] = root
        while todo and len(found) < MAX_PROCESSES:
            pid = todo.pop()
            for child in children.get(pid, ()):
                if child not in found:
                    found[child] = root
                    todo.append(child)
    return found


def _command(cmdline: str, comm: str) -> str:
    words = [word for word in cmdline.split("\x00") if word]
    text = " ".join(words) if words else f"[{comm}]"
    return clean_text(text, MAX_COMMAND)


def _int(value: object, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _num(value: object) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return 0.0


def _strings(value: object, limit: int) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item for item in value[:limit] if isinstance(item, str)]


def session_processes(raw: object, panes: Sequence[Pane]) -> list[ProcessInfo]:
    """The session's processes, from a proc_collect.snapshot answer and the session's panes."""
    if not isinstance(raw, dict) or not isinstance(raw.get("procs"), list):
        raise SnapshotError("not a process snapshot")
    clk = _int(raw.get("clk_tck"), 100) or 100
    page = _int(raw.get("page_size"), 4096) or 4096
    btime = _int(raw.get("btime"))
    up0, up1 = _num(raw.get("uptime0")), _num(raw.get("uptime1"))

    stats: dict[int, ProcStat] = {}
    extra: dict[int, tuple[ProcStat | None, str, list[int]]] = {}
    for item in raw["procs"][:MAX_PROCESSES]:
        if not isinstance(item, dict) or not isinstance(item.get("stat"), str):
            continue
        stat = parse_stat(item["stat"])
        if stat is None or stat.pid in stats:
            continue
        before = parse_stat(item["before"]) if isinstance(item.get("before"), str) else None
        cmdline = item["cmdline"] if isinstance(item.get("cmdline"), str) else ""
        sockets = (
            [s for s in item.get("sockets") or [] if isinstance(s, int)][:4096]
            if isinstance(item.get("sockets"), list)
            else []
        )
        stats[stat.pid] = stat
        extra[stat.pid] = (before, cmdline[:8192], sockets)

    listeners = parse_listeners(_strings(raw.get("tcp"), 8192), v6=False)
    listeners.update(parse_listeners(_strings(raw.get("tcp6"), 8192), v6=True))
    by_root = {pane.pid: pane for pane in panes}
    owners = members(stats, [pane.pid for pane in panes])

    out: list[ProcessInfo] = []
    for pid, root in owners.items():
        stat = stats[pid]
        before, cmdline, sockets = extra[pid]
        pane = by_root[root]
        root_stat = stats[root]
        foreground = stat.pid == stat.pgrp == stat.tpgid and stat.tty_nr != 0 and stat.tty_nr == root_stat.tty_nr
        listening = sorted({listeners[s] for s in sockets if s in listeners}, key=lambda lst: (lst.port, lst.address))
        out.append(
            ProcessInfo(
                pid=pid,
                ppid=stat.ppid,
                command=_command(cmdline, stat.comm),
                state=stat.state,
                cpu_percent=cpu_percent(stat, before, clk=clk, up0=up0, up1=up1),
                rss_bytes=stat.rss_pages * page,
                started_at=btime + stat.starttime / clk,
                start_ticks=stat.starttime,
                listening=tuple(listening),
                window=pane.window or None,
                pane_id=pane.pane_id if foreground else None,
            )
        )
    out.sort(key=lambda p: (p.started_at, p.pid))
    return out


def cpu_percent(now: ProcStat, before: ProcStat | None, *, clk: int, up0: float, up1: float) -> float:
    """CPU use in % of one core: over the sampling interval when both samples are of this
    process, else averaged over its life (as `ps` does)."""
    ticks = now.utime + now.stime
    if before is not None and before.starttime == now.starttime and up1 - up0 >= 0.05:
        used, seconds = ticks - (before.utime + before.stime), up1 - up0
    else:
        used, seconds = ticks, up1 - now.starttime / clk
    if seconds <= 0 or used <= 0:
        return 0.0
    return round(100.0 * used / clk / seconds, 1)


def listening_ports(processes: Sequence[ProcessInfo]) -> list[ListeningPort]:
    """One entry per listening (port, address) of the session; a socket shared by several
    processes (a server and the workers it forked) is given to the oldest."""
    found: dict[tuple[int, str], ListeningPort] = {}
    for proc in sorted(processes, key=lambda p: (p.started_at, p.pid)):
        for lst in proc.listening:
            found.setdefault((lst.port, lst.address), ListeningPort(lst.port, lst.address, proc.pid, proc.command))
    return sorted(found.values(), key=lambda p: (p.port, p.address))


def find(processes: Sequence[ProcessInfo], pid: int) -> ProcessInfo | None:
    """The session's process with that pid, if it is one."""
    return next((p for p in processes if p.pid == pid), None)
