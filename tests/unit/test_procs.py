"""runtime/procs.py: what a session's processes are, from raw /proc text, by tables of cases.

The raw text comes from inside the user's container under docker, so hostile shapes are cases
too: they are skipped or refused, never a crash, never a process outside the session.
"""

from __future__ import annotations

from typing import Any

import pytest

from autocode.runtime.procs import (
    Listener,
    Pane,
    ProcessInfo,
    ProcStat,
    SnapshotError,
    address_text,
    cpu_percent,
    listening_ports,
    members,
    parse_listeners,
    parse_panes,
    parse_stat,
    session_processes,
)


def stat_line(
    pid: int,
    comm: str = "bash",
    *,
    state: str = "S",
    ppid: int = 1,
    pgrp: int = 0,
    tty: int = 34816,
    tpgid: int = -1,
    utime: int = 0,
    stime: int = 0,
    start: int = 1000,
    rss: int = 100,
) -> str:
    rest = [
        state,
        ppid,
        pgrp or pid,
        pid,
        tty,
        tpgid,
        4194560,
        0,
        0,
        0,
        0,
        utime,
        stime,
        0,
        0,
        20,
        0,
        1,
        0,
        start,
        10000000,
        rss,
        18446744073709551615,
    ]
    return f"{pid} ({comm}) " + " ".join(str(x) for x in rest)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            stat_line(42, ppid=7, utime=5, stime=3, start=900, rss=25),
            ProcStat(
                pid=42,
                comm="bash",
                state="S",
                ppid=7,
                pgrp=42,
                tty_nr=34816,
                tpgid=-1,
                utime=5,
                stime=3,
                starttime=900,
                rss_pages=25,
            ),
        ),
        # a command name with spaces and parentheses: the last ")" ends it
        (stat_line(9, "a) (b c)"), ProcStat(9, "a) (b c)", "S", 1, 9, 34816, -1, 0, 0, 1000, 100)),
        # control characters in a name are shown as spaces
        (stat_line(9, "x\x1b[2Jy"), ProcStat(9, "x [2Jy", "S", 1, 9, 34816, -1, 0, 0, 1000, 100)),
        (stat_line(9, state="Z", rss=0), ProcStat(9, "bash", "Z", 1, 9, 34816, -1, 0, 0, 1000, 0)),
        ("", None),
        ("garbage", None),
        ("12 (sh) S 1 2 3", None),  # too short
        (stat_line(9).replace("9 (", "x9 (", 1), None),  # not a pid
        (stat_line(9, ppid=-4), None),
        (stat_line(9).replace(" 1000 ", " 1e3 ", 1), None),
        (stat_line(9, state="SS"), None),
    ],
)
def test_stat_lines(line: str, expected: ProcStat | None) -> None:
    assert parse_stat(line) == expected


@pytest.mark.parametrize(
    ("hex_address", "v6", "byteorder", "expected"),
    [
        ("0100007F", False, "little", "127.0.0.1"),
        ("00000000", False, "little", "0.0.0.0"),
        ("0201A8C0", False, "little", "192.168.1.2"),
        ("7F000001", False, "big", "127.0.0.1"),
        ("00000000000000000000000000000000", True, "little", "::"),
        ("00000000000000000000000001000000", True, "little", "::1"),
        ("0000000000000000FFFF00000100007F", True, "little", "127.0.0.1"),  # v4-mapped
        ("0100007F00", False, "little", None),
        ("ZZ00007F", False, "little", None),
        ("0100007F", True, "little", None),
        ("", False, "little", None),
    ],
)
def test_addresses(hex_address: str, v6: bool, byteorder: str, expected: str | None) -> None:
    assert address_text(hex_address, v6=v6, byteorder=byteorder) == expected


TCP_LISTEN = "0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 1000 0 5555 1 0"
TCP_ESTABLISHED = "1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000 1000 0 7777 1"
TCP6_LISTEN = (
    "0: 00000000000000000000000000000000:0BB8 00000000000000000000000000000000:0000 0A "
    "00000000:00000000 00:00000000 00000000 1000 0 6666 1 0"
)


@pytest.mark.parametrize(
    ("lines", "v6", "expected"),
    [
        ([TCP_LISTEN], False, {5555: Listener("127.0.0.1", 8080)}),
        ([TCP_ESTABLISHED], False, {}),  # a connection, not a listener
        ([TCP6_LISTEN], True, {6666: Listener("::", 3000)}),
        ([TCP6_LISTEN], False, {}),  # a v6 address in the v4 table
        ([TCP_LISTEN.replace(":1F90", ":0000")], False, {}),  # port 0
        ([TCP_LISTEN.replace(":1F90", ":1F9G")], False, {}),
        ([TCP_LISTEN.replace(" 5555 ", " 0 ")], False, {}),  # no inode
        ([TCP_LISTEN.replace(" 5555 ", " x ")], False, {}),
        (["", "junk", "0: 1 2 0A"], False, {}),
    ],
)
def test_listeners(lines: list[str], v6: bool, expected: dict[int, Listener]) -> None:
    assert parse_listeners(lines, v6=v6) == expected


@pytest.mark.parametrize(
    ("panes_out", "windows_out", "expected"),
    [
        ("%0\t200\t@0\n%3\t210\t@2\n", "@0\tshell\n@2\tagent\n", [Pane("%0", 200, "shell"), Pane("%3", 210, "agent")]),
        # a window renamed to smuggle a pane line: names only label, they never add a pane
        ("%0\t200\t@0\n", "@0\tx\n%9\t1\t@0\n@0\tother\n", [Pane("%0", 200, "x")]),
        ("%0\t1\t@0\n", "@0\tshell\n", []),  # pid 1 is never a pane of ours
        ("%0\t200\t@0\textra\n0\t200\t@0\n%1\t-3\t@0\n%2\t2x\t@0\n", "", []),
        ("%5\t300\t@7\n", "", [Pane("%5", 300, "")]),  # a window without a name line
        ("%5\t300\t@7\n", "@7\t" + "n" * 100 + "\n", [Pane("%5", 300, "n" * 64)]),
        ("%5\t300\t@7\n", "@7\tred\x1b[31m\n", [Pane("%5", 300, "red [31m")]),
    ],
)
def test_panes(panes_out: str, windows_out: str, expected: list[Pane]) -> None:
    assert parse_panes(panes_out, windows_out) == expected


def _stats(*pairs: tuple[int, int]) -> dict[int, ProcStat]:
    out: dict[int, ProcStat] = {}
    for pid, ppid in pairs:
        stat = parse_stat(stat_line(pid, ppid=ppid))
        assert stat is not None
        out[pid] = stat
    return out


@pytest.mark.parametrize(
    ("pairs", "roots", "expected"),
    [
        ([(200, 100), (300, 200), (301, 300), (400, 1)], [200], {200: 200, 300: 200, 301: 200}),
        ([(200, 100), (210, 100), (300, 210)], [200, 210], {200: 200, 210: 210, 300: 210}),
        ([(200, 100)], [999], {}),  # a pane whose process is gone
        ([(5, 6), (6, 5), (7, 6)], [5], {5: 5, 6: 5, 7: 5}),  # a claimed cycle ends
        ([(200, 100), (300, 200)], [300, 200], {300: 300, 200: 200}),  # each root keeps its own
    ],
)
def test_members(pairs: list[tuple[int, int]], roots: list[int], expected: dict[int, int]) -> None:
    assert members(_stats(*pairs), roots) == expected


def _ps(pid: int, **kw: Any) -> ProcStat:
    stat = parse_stat(stat_line(pid, **kw))
    assert stat is not None
    return stat


@pytest.mark.parametrize(
    ("now", "before", "up0", "up1", "expected"),
    [
        (
            _ps(1, utime=150, stime=50, start=1000),
            _ps(1, utime=140, stime=50, start=1000),
            100.0,
            100.5,
            20.0,
        ),  # 10 ticks in half a second at 100 Hz
        (_ps(1, utime=200, start=1000), _ps(1, utime=100, start=1000), 100.0, 101.0, 100.0),
        (_ps(1, utime=100, start=1000), None, 0.0, 20.0, 10.0),  # 1 s of CPU in 10 s of life
        (_ps(1, utime=100, start=1000), _ps(1, utime=0, start=999), 0.0, 20.0, 10.0),  # pid reused
        (_ps(1, utime=100, start=1000), _ps(1, utime=90, start=1000), 20.0, 20.0, 10.0),
        (_ps(1, start=1000), None, 0.0, 20.0, 0.0),
        (_ps(1, utime=5, start=3000), None, 0.0, 20.0, 0.0),  # "started" in the future
        (_ps(1, utime=10, start=1000), _ps(1, utime=50, start=1000), 10.0, 11.0, 0.0),
    ],
)
def test_cpu(now: ProcStat, before: ProcStat | None, up0: float, up1: float, expected: float) -> None:
    assert cpu_percent(now, before, clk=100, up0=up0, up1=up1) == expected


PANES = [Pane("%0", 200, "shell"), Pane("%1", 210, "server")]


def snapshot(**over: Any) -> dict[str, Any]:
    tty = 34816
    procs = [
        # the shell of window "shell"; python runs in its foreground, a sleep in the background
        {
            "stat": stat_line(200, "bash", ppid=100, tty=tty, tpgid=300, start=1000),
            "before": None,
            "cmdline": "-bash\x00",
            "sockets": [],
        },
        {
            "stat": stat_line(300, "python3", ppid=200, tty=tty, tpgid=300, utime=60, start=1500, rss=5000),
            "before": stat_line(300, "python3", ppid=200, tty=tty, tpgid=300, utime=50, start=1500),
            "cmdline": "python3\x00-m\x00http.server\x008080\x00",
            "sockets": [5555, 8],
        },
        {
            "stat": stat_line(301, "sleep", ppid=200, tty=tty, tpgid=300, start=1600),
            "before": None,
            "cmdline": "sleep\x00600\x00",
            "sockets": [],
        },
        # window "server" runs a command of its own (a node server and a worker sharing a socket)
        {
            "stat": stat_line(210, "node", ppid=100, tty=tty + 1, tpgid=210, start=1100),
            "before": None,
            "cmdline": "node\x00serve.js\x00",
            "sockets": [6666],
        },
        {
            "stat": stat_line(211, "node", ppid=210, tty=tty + 1, tpgid=210, pgrp=210, start=1200),
            "before": None,
            "cmdline": "",
            "sockets": [6666],
        },
        # not the session's: pid 1's child, listening too
        {
            "stat": stat_line(400, "sshd", ppid=1, tty=0, start=10),
            "before": None,
            "cmdline": "sshd\x00",
            "sockets": [7777],
        },
    ]
    raw: dict[str, Any] = {
        "clk_tck": 100,
        "page_size": 4096,
        "btime": 1_700_000_000,
        "uptime0": 100.0,
        "uptime1": 100.5,
        "procs": procs,
        "tcp": [TCP_LISTEN, TCP_LISTEN.replace(" 5555 ", " 7777 ").replace(":1F90", ":0016")],
        "tcp6": [TCP6_LISTEN],
    }
    raw.update(over)
    return raw


def test_a_session_snapshot() -> None:
    found = {p.pid: p for p in session_processes(snapshot(), PANES)}
    assert sorted(found) == [200, 210, 211, 300, 301]  # sshd (400) is not the session's
    server = found[300]
    assert server == ProcessInfo(
        pid=300,
        ppid=200,
        command="python3 -m http.server 8080",
        state="S",
        cpu_percent=20.0,
        rss_bytes=5000 * 4096,
        started_at=1_700_000_015.0,
        start_ticks=1500,
        listening=(Listener("127.0.0.1", 8080),),
        window="shell",
        pane_id="%0",
    )
    assert found[200].pane_id is None  # the shell waits: python holds the window
    assert found[301].pane_id is None and found[301].window == "shell"  # a background job
    assert found[210].pane_id == "%1" and found[210].window == "server"
    assert found[211].pane_id is None and found[211].command == "[node]"
    assert [p.pid for p in session_processes(snapshot(), PANES)] == [200, 210, 211, 300, 301]
    # a socket shared by a server and its worker is the older process's
    ports = listening_ports(list(found.values()))
    assert [(p.port, p.address, p.pid) for p in ports] == [(3000, "::", 210), (8080, "127.0.0.1", 300)]


@pytest.mark.parametrize(
    "raw",
    [None, [], "text", {"procs": "x"}, {"procs": None}, {}],
)
def test_not_a_snapshot(raw: object) -> None:
    with pytest.raises(SnapshotError):
        session_processes(raw, PANES)


@pytest.mark.parametrize(
    ("over", "pids"),
    [
        ({"procs": []}, []),
        ({"procs": [1, "x", None, {"stat": 5}, {"stat": "junk"}]}, []),
        # a bool is not a number, a wrong type of field is dropped, the process still shows
        (
            {"clk_tck": True, "page_size": "big", "btime": None, "tcp": "x", "tcp6": [1, None]},
            [200, 210, 211, 300, 301],
        ),
        # a duplicate pid claiming another parent does not move the first one
        (
            {
                "procs": [
                    {"stat": stat_line(200, ppid=100)},
                    {"stat": stat_line(200, ppid=1)},
                    {"stat": stat_line(900, ppid=200)},
                    {"stat": stat_line(901, ppid=400)},
                ]
            },
            [200, 900],
        ),
        ({"procs": [{"stat": stat_line(200, ppid=100), "cmdline": 5, "sockets": "x", "before": 7}]}, [200]),
    ],
)
def test_hostile_snapshots(over: dict[str, Any], pids: list[int]) -> None:
    found = session_processes(snapshot(**over), PANES)
    assert sorted(p.pid for p in found) == pids


def test_command_lines_are_bounded_and_printable() -> None:
    raw = snapshot(procs=[{"stat": stat_line(200, ppid=100), "cmdline": "x\x1b]0;t\x07" + "y" * 5000, "sockets": []}])
    (proc,) = session_processes(raw, PANES)
    assert proc.command.startswith("x ]0;t ") and len(proc.command) == 1000
