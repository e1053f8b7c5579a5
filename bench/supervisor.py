#!/usr/bin/env python3
"""What a project's supervisor costs and how fast its news reaches the UI (issue 13's figures).

A real `autocode serve`, the pinned Claude Code CLI (tools/claude-code) in tmux and the scripted
fake Anthropic endpoint (tests/fakes/fake_anthropic.py) running in this process, which stamps
with time.monotonic() when each request arrived and when the last byte of its response went out;
the WS /ws/projects/{id}/events frames are stamped on the same clock when they arrive.

A. latency - one project with a plan of --steps tiny steps (each writes one file). Per step: the
   model's last answer (the fake finished Claude Code's last response before the step's done
   frame) -> the step done frame (the first `Step K done` log frame or state frame showing it
   done), and -> the next step's first model request; the decision model's call in between.
   Also, as before: Claude Code's Stop hook (`received_at` in hooks.jsonl) -> the log row (the
   supervisor's share) -> the frame (the server's event pump), and the supervisor's VmRSS (and
   Claude Code's) sampled every 0.1 s during the turns.
B. waiting - one project with permission_policy "ask": step 1's Write waits for a human before
   the decision model ever ran, step 2's after it judged step 1. Each wait: the supervisor's RSS
   and its CPU with its children's (reaped and live) over --idle-seconds; then "yes".
W. many waiting - --waiting projects, policy "ask", each a one-step plan whose first Write
   waits: the CPU of the server, the supervisors (with children) and the tmux server together
   over --idle-seconds; then each project is stopped (its Claude Code ends).
C. concurrency - --projects projects at once on one server (one user), each --conc-steps steps
   whose fake replies take --delay s, so they overlap: which complete, the answer -> step done
   latency under that load, total RSS, CPU, /proc/stat and /proc/loadavg, wall time.

Each result is checked against issue 13's targets (PASS/FAIL). A run is stored under --label in
bench/supervisor_runs.json and the "## Supervisor" section of bench/RESULTS.md shows every stored
run side by side: measure the old code with `--ref REF --label old` (git archive REF backend in a
throwaway venv) and the working tree with `--label new`. --no-write only prints.

Every loop is bounded; on any exit the server, every supervisor started with this run's data
dir, the tmux servers and the fake endpoint are stopped and the temp dir is removed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import signal
import site
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "backend"))

import httpx  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402
from websockets.sync.client import connect  # noqa: E402

from tests.fakes.fake_anthropic import FakeAnthropic, Request, _Handler, text, write  # noqa: E402
from tests.support.results import write_section  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
RUNS = ROOT / "bench" / "supervisor_runs.json"
README = ROOT / "bench" / "README.md"
CLI = ROOT / "tools" / "claude-code" / "node_modules" / ".bin" / "claude"
ADMIN = "admin"
ADMIN_PASSWORD = "bench-admin-password-1"
TERMINAL = ("completed", "failed", "paused")
HZ = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


# -- /proc helpers -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return 0


def stat_of(pid: int) -> tuple[int, int, int, int] | None:
    """(ppid, starttime, own cpu ticks, children's cpu ticks) from /proc/<pid>/stat."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    f = raw.rsplit(")", 1)[1].split()
    # fields after ")": state ppid ... utime(11) stime(12) cutime(13) cstime(14) ... starttime(19)
    return int(f[1]), int(f[19]), int(f[11]) + int(f[12]), int(f[13]) + int(f[14])


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def supervisor_pids(data: Path) -> list[int]:
    """Supervisors started with this run's data dir (they run in sessions of their own)."""
    out = []
    marker = f"AUTOCODE_DATA_DIR={data}".encode()
    for pid in all_pids():
        if b"autocode.supervisor" not in cmdline(pid):
            continue
        try:
            if marker in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                out.append(pid)
        except OSError:
            continue
    return out


def kill_supervisors(data: Path) -> int:
    n = 0
    for pid in supervisor_pids(data):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
            n += 1
    return n


def descendants(root: int, parents: dict[int, int]) -> list[int]:
    kids: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        kids.setdefault(ppid, []).append(pid)
    out: list[int] = []
    todo = [root]
    while todo and len(out) < 10_000:
        p = todo.pop()
        for c in kids.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def system_cpu() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine."""
    f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = f[3] + f[4]
    return sum(f) - idle, sum(f)


PER_WAITING_KB = 360 * 1024  # a Claude Code on its prompt (~250 MB) and its supervisor (~110 MB in cf52fc6)


LOW_MEMORY_KB = 1024 * 1024


def mem_available_kb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1])
    return 0


def loadavg() -> tuple[float, float, float]:
    a = Path("/proc/loadavg").read_text().split()
    return float(a[0]), float(a[1]), float(a[2])


def pct(values: list[float], q: float) -> float:
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def epoch(ts: str) -> float:
    d = dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.UTC)
    return d.timestamp()


def wait_until(pred: Any, timeout: float, interval: float = 0.2, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise TimeoutError(f"{what} not met within {timeout:.0f}s (last: {last!r})")


# -- the scripted model, timed on this process's clock ---------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One model call the fake answered: when its request arrived and when its response was sent."""

    request: Request
    arrived: float  # time.monotonic() when the handler began
    finished: float  # time.monotonic() after the last byte of the response was written

    @property
    def is_decision(self) -> bool:
        """A call of the supervisor's decision model (nanobot carries the steering tools)."""
        return "mark_step_done" in self.request.tool_names

    @property
    def is_turn(self) -> bool:
        """A call of Claude Code's main loop (no title, token count or decision-model call)."""
        req = self.request
        return req.is_messages and not req.is_title and not self.is_decision


class _TimedHandler(_Handler):
    last: Request | None = None

    def _record(self, body: dict[str, Any]) -> Request:
        self.last = super()._record(body)
        return self.last

    def do_POST(self) -> None:
        arrived = time.monotonic()
        super().do_POST()
        owner = self.owner
        if isinstance(owner, TimedFake) and self.last is not None:
            owner.answered(Answer(self.last, arrived, time.monotonic()))


class TimedFake(FakeAnthropic):
    """The scripted fake endpoint, in this process: every answer stamped with time.monotonic()."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[Answer] = []
        self._bodies: list[str] = []  # the answers' request bodies as JSON text, filled on first need

    def answered(self, answer: Answer) -> None:
        with self._lock:
            self.answers.append(answer)

    def answers_of(self, marker: str) -> list[Answer]:
        """The Messages calls whose body mentions `marker` (a project's name or step titles)."""
        with self._lock:
            answers = list(self.answers)
        for a in answers[len(self._bodies) :]:
            self._bodies.append(json.dumps(a.request.body))
        return [a for a, body in zip(answers, self._bodies, strict=False) if a.request.is_messages and marker in body]


TimedFake.handler_class = _TimedHandler


# -- the platform --------------------------------------------------------------------------------


def snapshot_python(ref: str, tmp: Path) -> Path:
    """A throwaway venv whose `autocode` is `git archive <ref> backend` (other deps: .venv)."""
    src = tmp / "src"
    src.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "backend"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive.stdout, check=True)
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    sp = next((venv / "lib").glob("python*/site-packages"))
    (sp / "_autocode_bench.pth").write_text(f"{src / 'backend'}\n{site.getsitepackages()[0]}\n")
    return venv / "bin" / "python"


class Server:
    def __init__(self, data: Path, python: Path | None, env: dict[str, str]) -> None:
        self.data = data
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws_base = f"ws://127.0.0.1:{self.port}"
        data.mkdir(parents=True, exist_ok=True)
        self.log = data.parent / "server.log"
        full = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCODE_")}
        full.update(
            {
                "AUTOCODE_DATA_DIR": str(data),
                "AUTOCODE_PORT": str(self.port),
                "AUTOCODE_HOST": "127.0.0.1",
                "AUTOCODE_ADMIN_PASSWORD": ADMIN_PASSWORD,
                **env,
            }
        )
        argv = [str(python), "-m", "autocode.cli", "serve"] if python else [str(ROOT / ".venv/bin/autocode"), "serve"]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                argv, env=full, stdout=out, stderr=subprocess.STDOUT, cwd=data.parent, start_new_session=True
            )
        wait_until(self._up, 60, 0.2, "server up")
        self.http = httpx.Client(base_url=self.base, timeout=30)
        r = self.http.post("/api/auth/login", json={"username": ADMIN, "password": ADMIN_PASSWORD})
        r.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

    def _up(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{self.log.read_text()[-3000:]}")
        try:
            return httpx.get(f"{self.base}/api/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    # API
    def project(self, name: str, plan: list[dict[str, str]], policy: str = "auto") -> dict[str, Any]:
        agent = self.http.post(
            "/api/agents", json={"name": f"Dev {name}", "model": "anthropic/claude-test", "permission_policy": policy}
        )
        assert agent.status_code == 201, agent.text
        r = self.http.post(
            f"/api/agents/{agent.json()['id']}/projects", json={"name": name, "implementation_plan": plan}
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    def get(self, pid: int) -> dict[str, Any]:
        r = self.http.get(f"/api/projects/{pid}")
        r.raise_for_status()
        return dict(r.json())

    def start(self, pid: int) -> dict[str, Any]:
        r = self.http.post(f"/api/projects/{pid}/start")
        assert r.status_code == 200, r.text
        return dict(r.json())

    def logs(self, pid: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        after = 0
        for _ in range(50):
            page = self.http.get(f"/api/projects/{pid}/logs", params={"after_id": after, "limit": 1000}).json()
            if not page:
                break
            out += page
            after = page[-1]["id"]
        return out

    def ticket(self) -> str:
        r = self.http.post("/api/auth/ws-ticket")
        r.raise_for_status()
        return str(r.json()["ticket"])


class Events:
    """One project's events socket, read in a thread; every frame is stamped with time.time() (to
    compare with other processes' wall-clock stamps) and time.monotonic() (the fake's clock)."""

    def __init__(self, server: Server, project_id: int) -> None:
        url = f"{server.ws_base}/ws/projects/{project_id}/events?ticket={server.ticket()}&after_id=0"
        self.ws = connect(url, open_timeout=10, max_size=None)
        self.frames: list[tuple[float, float, dict[str, Any]]] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while True:
                raw = self.ws.recv(timeout=600)
                mono, now = time.monotonic(), time.time()
                if isinstance(raw, str):
                    self.frames.append((now, mono, json.loads(raw)))
        except (ConnectionClosed, TimeoutError, OSError):
            pass

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()
        self.thread.join(5)


def hook_events(data: Path, project_id: int, username: str = "admin") -> list[dict[str, Any]]:
    """Claude Code's hook events of a project, wherever the measured code keeps them."""
    candidates = [
        data / "users" / username / ".autocode" / "projects" / str(project_id) / "hooks.jsonl",
        data / "run" / "projects" / str(project_id) / "hooks.jsonl",  # the code before hooks moved
    ]
    with contextlib.suppress(ImportError, AttributeError):  # the working tree's idea of the place
        from autocode.core.layout import Layout

        try:
            from autocode.core.layout import hooks_file
        except ImportError:  # the code before the layout owned it
            from autocode.supervisor.launch import hooks_file  # type: ignore[attr-defined,no-redef]

        candidates.insert(0, Layout.at(data).host_path(username, hooks_file(project_id)))
    path = next((c for c in candidates if c.exists()), candidates[0])
    out = []
    with contextlib.suppress(OSError):
        for line in path.read_text().splitlines():
            with contextlib.suppress(ValueError):
                out.append(json.loads(line))
    return out


def step_latencies(data: Path, project_id: int, events: Events, n_steps: int) -> list[dict[str, float]]:
    """Per step: Stop hook -> "Step K done" row written, -> its frame, -> state frame with step K done."""
    stops = sorted(
        float(e["received_at"])
        for e in hook_events(data, project_id)
        if e.get("hook_event_name") == "Stop" and "received_at" in e
    )
    started: dict[int, float] = {}
    done: dict[int, tuple[float, float]] = {}
    decided: dict[int, float] = {}
    state_done: dict[int, float] = {}
    for at, _mono, frame in list(events.frames):
        if frame.get("type") == "log":
            entry = frame["entry"]
            msg = str(entry.get("message", ""))
            for k in range(1, n_steps + 1):
                if msg.startswith(f"Step {k} started") and k not in started:
                    started[k] = epoch(entry["timestamp"])
                elif msg.startswith(f"Step {k} done") and k not in done:
                    done[k] = (epoch(entry["timestamp"]), at)
                elif msg.startswith(f"Step {k} counts as done") and k not in decided:
                    decided[k] = epoch(entry["timestamp"])
        elif frame.get("type") == "state":
            plan = frame["project"].get("implementation_plan") or []
            for k in range(1, min(n_steps, len(plan)) + 1):
                if plan[k - 1].get("status") == "done" and k not in state_done:
                    state_done[k] = at
    out = []
    for k in range(1, n_steps + 1):
        if k not in done:
            continue
        row_ts, arrival = done[k]
        lo = started.get(k, 0.0)
        candidates = [s for s in stops if lo <= s <= row_ts]
        if not candidates:
            continue
        stop = candidates[-1]  # the Stop that ended the step's last turn
        item = {
            "step": k,
            "stop_to_row": row_ts - stop,
            "row_to_frame": arrival - row_ts,
            "stop_to_log_frame": arrival - stop,
            "stops_in_step": len(candidates),
        }
        if k in state_done:
            item["stop_to_state_frame"] = state_done[k] - stop
        if k in decided and stop <= decided[k] <= row_ts:
            item["stop_to_verdict"] = decided[k] - stop  # turn end seen + the decision model's verdict
            item["verdict_to_row"] = row_ts - decided[k]  # git checkpoint + DB writes
        out.append(item)
    return out


def done_frames(events: Events, n_steps: int) -> dict[int, float]:
    """Per step: time.monotonic() of the first frame telling it is done (a `Step K done` log frame
    or a state frame whose plan shows step K done, whichever came first)."""
    out: dict[int, float] = {}
    for _at, mono, frame in list(events.frames):
        done: list[int] = []
        if frame.get("type") == "log":
            msg = str(frame["entry"].get("message", ""))
            done = [k for k in range(1, n_steps + 1) if msg.startswith(f"Step {k} done")]
        elif frame.get("type") == "state":
            plan = frame["project"].get("implementation_plan") or []
            done = [k for k in range(1, min(n_steps, len(plan)) + 1) if plan[k - 1].get("status") == "done"]
        for k in done:
            out.setdefault(k, mono)
    return out


def answer_latencies(fake: TimedFake, marker: str, events: Events, n_steps: int) -> list[dict[str, float]]:
    """Per step, on this process's clock: the model's last answer of the step (the fake finished
    sending Claude Code's last response before the step's done frame) -> that frame, -> the next
    step's first model request, and the decision model's call in between."""
    answers = fake.answers_of(marker)
    turns = sorted((a for a in answers if a.is_turn), key=lambda a: a.finished)
    decisions = [a for a in answers if a.is_decision]
    frames = done_frames(events, n_steps)
    out: list[dict[str, float]] = []
    for k in range(1, n_steps + 1):
        if k not in frames:
            continue
        before = [a for a in turns if a.finished <= frames[k]]
        if not before:
            continue
        last = before[-1].finished
        item: dict[str, float] = {"step": k, "answer_to_done": frames[k] - last}
        later = [a.arrived for a in turns if a.arrived > last]
        if k < n_steps and later:
            item["answer_to_next"] = min(later) - last
        decided = [a for a in decisions if last <= a.arrived <= frames[k]]
        if decided:
            item["answer_to_decision"] = decided[0].arrived - last
            item["decision_to_done"] = frames[k] - decided[-1].finished
        out.append(item)
    return out


def tmux_socket(data: Path, username: str) -> str:
    """The user's tmux socket: where the working tree puts it, else the `-S` of a tmux server
    under this run's data dir (the measured code may keep it elsewhere)."""
    path = ""
    with contextlib.suppress(ImportError, AttributeError):
        from autocode.runtime.local import LocalRuntime

        path = str(LocalRuntime(data_dir=data).socket_path(username))
    if path and Path(path).exists():
        return path
    return tmux_socket_of_run(data, username) or path


def tmux_socket_of_run(data: Path, username: str) -> str | None:
    """The `-S` socket, under this run's data dir, of a running tmux server of the user, if any."""
    for pid in all_pids():
        if comm(pid) != "tmux: server":
            continue
        argv = cmdline(pid).split(b"\0")
        if b"-S" not in argv[:-1]:
            continue
        sock = argv[argv.index(b"-S") + 1].decode(errors="replace")
        if sock.startswith(f"{data}/") and sock.endswith(f"/{username}.sock"):
            return sock
    return None


def pane_pid(data: Path, session: str) -> int | None:
    r = subprocess.run(
        ["tmux", "-S", tmux_socket(data, ADMIN), "display", "-p", "-t", f"={session}:agent", "#{pane_pid}"],
        capture_output=True,
        text=True,
        timeout=5,
    )
    out = r.stdout.strip()
    return int(out) if r.returncode == 0 and out.isdigit() else None


def tree_rss_kb(root: int) -> int:
    parents = {}
    for pid in all_pids():
        st = stat_of(pid)
        if st:
            parents[pid] = st[0]
    return sum(rss_kb(p) or 0 for p in [root, *descendants(root, parents)])


def claude_version() -> str:
    try:
        r = subprocess.run([str(CLI), "--version"], capture_output=True, text=True, timeout=60)
        return r.stdout.strip() or r.stderr.strip()
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc})"


# -- A: Stop -> UI latency, RSS during turns ------------------------------------------------------


class Sampler:
    """Samples a supervisor's VmRSS and CPU, and the Claude Code pane tree's RSS, every `period` s."""

    def __init__(self, data: Path, server: Server, project: dict[str, Any], period: float) -> None:
        self.data, self.server, self.project, self.period = data, server, project, period
        self.sup: list[tuple[float, int]] = []
        self.claude: list[tuple[float, int, int]] = []  # (t, main process, pane tree)
        self.sup_pid: int | None = None
        self.stop_evt = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self, sup_pid: int) -> Sampler:
        self.sup_pid = sup_pid
        self.thread.start()
        return self

    def _run(self) -> None:
        pane: int | None = None
        i = 0
        deadline = time.monotonic() + 900
        while not self.stop_evt.is_set() and time.monotonic() < deadline:
            now = time.time()
            if self.sup_pid is not None:
                r = rss_kb(self.sup_pid)
                if r:
                    self.sup.append((now, r))
            if i % 5 == 0:  # the pane tree is costlier to walk: every 0.5 s
                if pane is None or not Path(f"/proc/{pane}").exists():
                    pane = pane_pid(self.data, self.project["tmux_session"])
                if pane is not None:
                    self.claude.append((now, rss_kb(pane) or 0, tree_rss_kb(pane)))
            i += 1
            self.stop_evt.wait(self.period)

    def stop(self) -> None:
        self.stop_evt.set()
        self.thread.join(5)


def supervisor_cpu(pid: int) -> int | None:
    st = stat_of(pid)
    return None if st is None else st[2] + st[3]


def phase_latency(server: Server, fake: TimedFake, data: Path, steps: int) -> dict[str, Any]:
    plan = [{"title": f"Write file {k:02d}", "detail": f"Create f{k:02d}.txt"} for k in range(1, steps + 1)]
    for k in range(1, steps + 1):
        fake.on_prompt(
            f"Now do step {k}: Write file {k:02d}", write(f"f{k:02d}.txt", f"{k}\n"), text(f"Wrote f{k:02d}.txt.")
        )
    project = server.project("Latency", plan)
    events = Events(server, project["id"])
    t0 = time.time()
    started = server.start(project["id"])
    sup = int(started["instance"]["pid"])
    sampler = Sampler(data, server, project, 0.1).start(sup)
    cpu0 = supervisor_cpu(sup)
    first_step_at: float | None = None
    cpu_first = None
    try:

        def check() -> dict[str, Any] | None:
            nonlocal first_step_at, cpu_first
            p = server.get(project["id"])
            if first_step_at is None and any(s.get("status") == "running" for s in p["implementation_plan"]):
                first_step_at = time.time()
                cpu_first = supervisor_cpu(sup)
            return p if p["status"] in TERMINAL else None

        final = wait_until(check, 60 + steps * 20, 0.2, "latency project finished")
        cpu_end = supervisor_cpu(sup)  # None when it has exited already
        with contextlib.suppress(TimeoutError):  # a missing frame shows as a smaller n
            wait_until(lambda: len(done_frames(events, steps)) >= steps, 10, 0.2, "done frames")
    except TimeoutError:
        final = server.get(project["id"])
        cpu_end = None
    finally:
        sampler.stop()
        events.close()
    t_end = time.time()
    time.sleep(2.0)
    pane = pane_pid(data, project["tmux_session"])
    after = {
        "pane_alive": pane is not None and Path(f"/proc/{pane}").exists(),
        "rss": tree_rss_kb(pane) if pane else 0,
        "instance": (server.get(project["id"]).get("instance") or {}).get("status"),
    }
    lat = step_latencies(data, project["id"], events, steps)
    sup_rss = [r for _, r in sampler.sup]
    # RSS during turns: from the first step's start on (start-up of Claude Code before is excluded)
    turn_rss = [r for t, r in sampler.sup if first_step_at is None or t >= first_step_at] or sup_rss
    claude_main = [m for _, m, _ in sampler.claude]
    claude_tree = [tr for _, _, tr in sampler.claude]
    n = len(turn_rss)
    result = {
        "project": project["id"],
        "status": final["status"],
        "status_reason": final.get("status_reason"),
        "steps_done": sum(1 for s in final["implementation_plan"] if s.get("status") == "done"),
        "steps": steps,
        "wall": t_end - t0,
        "latencies": lat,
        "answers": answer_latencies(fake, "Latency", events, steps),
        "sup_rss_turn": turn_rss,
        "sup_rss_first": turn_rss[: max(1, n // 10)],
        "sup_rss_last": turn_rss[-max(1, n // 10) :],
        "sup_rss_all": sup_rss,
        "claude_main": claude_main,
        "claude_tree": claude_tree,
        "sup_cpu_s": ((cpu_end - cpu_first) / HZ) if cpu_end is not None and cpu_first is not None else None,
        "sup_cpu_startup_s": ((cpu_first - cpu0) / HZ) if cpu_first is not None and cpu0 is not None else None,
        "turn_window": (t_end - first_step_at) if first_step_at else None,
        "after": after,
    }
    if final["status"] != "completed":
        result["log_tail"] = [f"{e['id']} {e['level']}: {e['message'][:300]}" for e in server.logs(project["id"])[-25:]]
    return result


# -- CPU of process groups, children included --------------------------------------------------------


def proc_table() -> dict[int, tuple[int, int, int, int]]:
    stats: dict[int, tuple[int, int, int, int]] = {}
    for pid in all_pids():
        st = stat_of(pid)
        if st:
            stats[pid] = st
    return stats


def tmux_servers(data: Path, stats: dict[int, tuple[int, int, int, int]]) -> list[int]:
    sock = tmux_socket(data, ADMIN).encode()
    return [p for p in stats if comm(p) == "tmux: server" and sock in cmdline(p)]


Groups = dict[str, tuple[list[int], bool]]
Snapshot = dict[str, dict[int, dict[tuple[int, int], int]]]


def cpu_snapshot(groups: Groups) -> Snapshot:
    """group -> root -> (pid, starttime) -> CPU ticks. A group is a list of roots, each with its
    descendants and the CPU of the children they reaped (tree: True), or its own CPU only (False).
    A tree stops at another group's root. The CPU of a window is (sum at its end) - (sum at its
    start): a member that died meanwhile was reaped by a member, whose children's CPU holds it."""
    stats = proc_table()
    kids: dict[int, list[int]] = {}
    for pid, st in stats.items():
        kids.setdefault(st[0], []).append(pid)
    roots = {r for rs, _ in groups.values() for r in rs}
    out: Snapshot = {}
    for name, (rs, tree) in groups.items():
        out[name] = {}
        for root in rs:
            members: dict[tuple[int, int], int] = {}
            todo = [root]
            while todo and len(members) < 10_000:
                pid = todo.pop()
                found = stats.get(pid)
                if found is None:
                    continue
                st = found
                members[(pid, st[1])] = st[2] + st[3] if tree else st[2]
                if tree:
                    todo += [c for c in kids.get(pid, []) if c not in roots]
            out[name][root] = members
    return out


def cpu_delta(before: Snapshot, after: Snapshot) -> dict[str, dict[int, float]]:
    """group -> root -> CPU seconds between two snapshots (roots gone at the end count 0)."""
    out: dict[str, dict[int, float]] = {}
    for name, roots in after.items():
        out[name] = {}
        for root, members in roots.items():
            if not members:
                continue
            was = sum(before.get(name, {}).get(root, {}).values())
            out[name][root] = max(0, sum(members.values()) - was) / HZ
    return out


# -- B: one supervisor waiting for a human -----------------------------------------------------------


def idle_window(data: Path, server: Server, project: dict[str, Any], sup: int, seconds: float) -> dict[str, Any]:
    """The supervisor's RSS (every 0.1 s) and its CPU with its children's, and Claude Code's, over `seconds`."""
    pane = pane_pid(data, project["tmux_session"])
    groups: Groups = {"supervisor": ([sup], True), "claude": ([pane] if pane else [], True)}
    sampler = Sampler(data, server, project, 0.1).start(sup)
    s0, t0 = cpu_snapshot(groups), time.monotonic()
    time.sleep(seconds)
    s1, t1 = cpu_snapshot(groups), time.monotonic()
    sampler.stop()
    cpu = cpu_delta(s0, s1)
    return {
        "seconds": t1 - t0,
        "rss": [r for _, r in sampler.sup],
        "claude_main": [m for _, m, _ in sampler.claude],
        "cpu_pct": 100.0 * sum(cpu["supervisor"].values()) / (t1 - t0) if cpu["supervisor"] else None,
        "claude_cpu_pct": 100.0 * sum(cpu["claude"].values()) / (t1 - t0) if cpu["claude"] else None,
    }


def phase_idle(server: Server, fake: TimedFake, data: Path, seconds: float) -> dict[str, Any]:
    """Permission policy "ask": step 1's Write waits for a human before the decision model ever ran
    (the target's case), step 2's after it judged step 1 (loaded). Each wait is sampled `seconds`."""
    titles = ["Idle first write", "Idle second write"]
    for k, title in enumerate(titles, 1):
        fake.on_prompt(f"Now do step {k}: {title}", write(f"idle{k}.txt", "ok\n"), text(f"Wrote idle{k}.txt."))
    plan = [{"title": t, "detail": f"Create idle{k}.txt"} for k, t in enumerate(titles, 1)]
    project = server.project("Idle", plan, policy="ask")
    started = server.start(project["id"])
    sup = int(started["instance"]["pid"])
    result: dict[str, Any] = {}
    for label, k in (("before", 1), ("after", 2)):

        def waiting(k: int = k) -> bool:
            p = server.get(project["id"])
            if p["status"] in TERMINAL:
                return True
            done = all(s.get("status") == "done" for s in p["implementation_plan"][: k - 1])
            return bool(p["status"] == "needs_help" and done)

        with contextlib.suppress(TimeoutError):
            wait_until(waiting, 180, 0.2, f"needs_help in step {k}")
        p = server.get(project["id"])
        result[f"status_{label}"] = p["status"]
        if p["status"] != "needs_help":
            break
        time.sleep(2.0)  # let the escalation settle
        result[f"decision_calls_{label}"] = sum(1 for a in fake.answers_of("Idle") if a.is_decision)
        result[label] = idle_window(data, server, project, sup, seconds)
        r = server.http.post(f"/api/projects/{project['id']}/reply", json={"text": "yes"})
        result[f"reply_{label}"] = r.status_code
    with contextlib.suppress(TimeoutError):
        wait_until(lambda: server.get(project["id"])["status"] in TERMINAL, 90, 0.3, "idle project done")
    result["final"] = server.get(project["id"])["status"]
    # the names the report has used since the first version: the wait after the decision model loaded
    after = result.get("after") or {}
    result["status_waiting"] = result.get("status_before")
    result["rss"] = after.get("rss", [])
    result["claude_main"] = after.get("claude_main", [])
    result["cpu_pct"] = after.get("cpu_pct")
    return result


# -- W: many projects waiting for a human at once ------------------------------------------------


def phase_waiting(
    server: Server, fake: TimedFake, data: Path, n: int, seconds: float, timeout: float
) -> dict[str, Any]:
    """`n` projects with permission policy "ask" whose first Write waits for a human; then the CPU of
    the server, the supervisors (with their children) and the tmux server over `seconds`."""
    width = max(2, len(str(n)))
    projects = []
    for i in range(1, n + 1):
        name = f"Waiting {i:0{width}d}"
        fake.on_prompt(f"Now do step 1: {name} file", write("w.txt", "ok\n"), text("Wrote w.txt."))
        projects.append(server.project(name, [{"title": f"{name} file", "detail": "Create w.txt"}], policy="ask"))
    ids = {int(p["id"]) for p in projects}
    mem0 = mem_available_kb()
    t0 = time.monotonic()
    sups: dict[int, int] = {}
    for p in projects:
        sups[int(p["id"])] = int(server.start(p["id"])["instance"]["pid"])
    waiting: set[int] = set()
    deadline = time.monotonic() + timeout
    statuses: dict[int, str] = {}
    low_memory = False
    while time.monotonic() < deadline and len(waiting) < n:
        if mem_available_kb() < LOW_MEMORY_KB:  # the machine is shared: measure what is there
            low_memory = True
            break
        r = server.http.get("/api/projects")
        r.raise_for_status()
        statuses = {int(p["id"]): str(p["status"]) for p in r.json() if p["id"] in ids}
        waiting = {pid for pid, st in statuses.items() if st == "needs_help"}
        if len(waiting) < n:
            time.sleep(1.0)
    all_waiting = time.monotonic() - t0
    mem_used = mem0 - mem_available_kb()
    time.sleep(5.0)  # let the last escalations and start-ups settle
    stats = proc_table()
    tmux = tmux_servers(data, stats)
    panes = [p for p, st in stats.items() if st[0] in tmux]
    live = [pid for pid in supervisor_pids(data) if pid in stats]  # a restarted one too
    groups: Groups = {
        "supervisor": (live, True),
        "tmux": (tmux, False),
        "claude": (panes, True),
        "server": ([server.proc.pid], True),
    }
    load0, sys0 = loadavg(), system_cpu()
    s0, w0 = cpu_snapshot(groups), time.monotonic()
    time.sleep(seconds / 2)
    rss = [r for r in (rss_kb(pid) for pid in live) if r]
    server_rss = rss_kb(server.proc.pid) or 0
    time.sleep(seconds / 2)
    s1, w1 = cpu_snapshot(groups), time.monotonic()
    load1, sys1 = loadavg(), system_cpu()
    window = w1 - w0
    cpu = cpu_delta(s0, s1)
    pct_of = {g: 100.0 * sum(v.values()) / window for g, v in cpu.items()}
    per_sup = [100.0 * v / window for v in cpu["supervisor"].values()]
    r = server.http.get("/api/projects")
    still = sum(1 for p in r.json() if p["id"] in ids and p["status"] == "needs_help")
    stop_s = []
    for pid in sorted(ids):  # stopping ends each Claude Code: the next phase gets the machine back
        s = time.monotonic()
        with contextlib.suppress(httpx.HTTPError):
            server.http.post(f"/api/projects/{pid}/stop")
        stop_s.append(time.monotonic() - s)
    time.sleep(1.0)
    return {
        "n": n,
        "alive_after_stop": sum(1 for pid in {*sups.values(), *live} if alive(pid)),
        "waiting": len(waiting),
        "not_waiting": {pid: st for pid, st in statuses.items() if st != "needs_help"},
        "still_waiting_after": still,
        "all_waiting_s": all_waiting,
        "mem_used_kb": mem_used,
        "low_memory": low_memory,
        "window": window,
        "cpu_pct": pct_of,
        "target_pct": pct_of.get("server", 0.0) + pct_of.get("supervisor", 0.0) + pct_of.get("tmux", 0.0),
        "per_sup_pct": per_sup,
        "sup_rss": rss,
        "server_rss": server_rss,
        "n_sup": len(live),
        "n_tmux": len(tmux),
        "n_panes": len(panes),
        "load0": load0,
        "load1": load1,
        "sys_util": (sys1[0] - sys0[0]) / max(1, sys1[1] - sys0[1]),
        "stop_s": stop_s,
    }


# -- C: many projects at once ----------------------------------------------------------------------


class FleetSampler:
    """Every `period` s: RSS of the server, supervisors, tmux servers and their pane trees; CPU."""

    def __init__(self, data: Path, server: Server, period: float = 0.5) -> None:
        self.data, self.server, self.period = data, server, period
        self.socket = tmux_socket(data, ADMIN).encode()
        self.samples: list[dict[str, Any]] = []
        # (pid, starttime) -> (first ticks, last ticks); first is 0 for processes born in the window
        self.cpu: dict[tuple[int, int], list[int]] = {}
        self.cpu_kind: dict[tuple[int, int], str] = {}
        self.stop_evt = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.first = True
        self.earlier: set[int] | None = None  # pane processes of earlier phases' projects
        self.earlier_rss = 0

    def _scan(self) -> None:
        stats: dict[int, tuple[int, int, int, int]] = {}
        for pid in all_pids():
            st = stat_of(pid)
            if st:
                stats[pid] = st
        parents = {p: s[0] for p, s in stats.items()}
        sups = set(supervisor_pids(self.data))
        tmux = {p for p in stats if comm(p) == "tmux: server" and self.socket in cmdline(p)}
        panes: set[int] = set()
        for t in tmux:
            panes.update(descendants(t, parents))
        if self.earlier is None:
            self.earlier = set(panes)
        old = set(self.earlier)
        for p in list(old):
            old.update(descendants(p, parents))
        self.earlier_rss = sum(rss_kb(p) or 0 for p in old if p in stats)
        self.earlier_claude = sum(1 for p in old if p in stats and b"claude" in cmdline(p))
        panes -= old
        claude = {p for p in panes if b"claude" in cmdline(p)}
        kinds: dict[int, str] = {self.server.proc.pid: "server"}
        kinds.update({p: "supervisor" for p in sups})
        kinds.update({p: "tmux" for p in tmux})
        kinds.update({p: ("claude" if p in claude else "pane") for p in panes})
        rss = {k: 0 for k in ("server", "supervisor", "tmux", "claude", "pane")}
        for p, kind in kinds.items():
            if p not in stats:
                continue
            r = rss_kb(p) or 0
            rss[kind] += r
            _ppid, start, own, child = stats[p]
            tracked_child = any(parents.get(q) == p for q in kinds)
            # children's CPU counts when they are not tracked themselves (tmux clients, git, hooks)
            ticks = own if kind in ("server", "tmux") or tracked_child else own + child
            key = (p, start)
            if key not in self.cpu:
                self.cpu[key] = [ticks if self.first else 0, ticks]
                self.cpu_kind[key] = kind
            else:
                self.cpu[key][1] = max(self.cpu[key][1], ticks)
        self.first = False
        self.samples.append(
            {"t": time.time(), "rss": rss, "n_sup": len(sups), "n_claude": len(claude), "load": loadavg()}
        )

    def _run(self) -> None:
        deadline = time.monotonic() + 900
        while not self.stop_evt.is_set() and time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                self._scan()
            self.stop_evt.wait(self.period)

    def start(self) -> FleetSampler:
        self._scan()
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stop_evt.set()
        self.thread.join(10)
        with contextlib.suppress(Exception):
            self._scan()

    def cpu_seconds(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for key, (first, last) in self.cpu.items():
            kind = self.cpu_kind[key]
            out[kind] = out.get(kind, 0.0) + (last - first) / HZ
        return out


def phase_concurrency(
    server: Server, fake: TimedFake, data: Path, n: int, steps: int, delay: float, timeout: float
) -> dict[str, Any]:
    projects = []
    for i in range(1, n + 1):
        plan = [{"title": f"Fleet {i:02d} part {k}", "detail": f"Create p{k}.txt"} for k in range(1, steps + 1)]
        for k in range(1, steps + 1):
            fake.on_prompt(
                f"Now do step {k}: Fleet {i:02d} part {k}",
                write(f"p{k}.txt", f"{i}.{k}\n", delay=delay),
                text(f"Wrote p{k}.txt.", delay=delay),
            )
        projects.append(server.project(f"Fleet {i:02d}", plan))
    events = {p["id"]: Events(server, p["id"]) for p in projects}
    calls0 = len(fake.calls(main_only=False))
    sampler = FleetSampler(data, server).start()
    sys0, load0 = system_cpu(), loadavg()
    t0 = time.time()
    start_ms = []
    for p in projects:
        s = time.time()
        server.start(p["id"])
        start_ms.append((time.time() - s) * 1000)
    finished: dict[int, float] = {}
    status: dict[int, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(finished) < n:
        r = server.http.get("/api/projects")
        r.raise_for_status()
        for p in r.json():
            if p["id"] in events:
                status[p["id"]] = p
                if p["status"] in TERMINAL and p["id"] not in finished:
                    finished[p["id"]] = time.time()
        time.sleep(0.5)
    t_end = time.time()
    sys1, load1 = system_cpu(), loadavg()
    sampler.stop()
    time.sleep(1.0)  # the last frames
    for ev in events.values():
        ev.close()
    lat = []
    for pid, ev in events.items():
        lat += step_latencies(data, pid, ev, steps)
    answers: list[dict[str, float]] = []
    for i, p in enumerate(projects, 1):
        answers += answer_latencies(fake, f"Fleet {i:02d}", events[p["id"]], steps)
    completed = [pid for pid, p in status.items() if p["status"] == "completed"]
    failed = {}
    for pid, p in status.items():
        if p["status"] != "completed":
            logs = server.logs(pid)
            sup_log = data / "run" / "projects" / str(pid) / "supervisor.log"
            tail = sup_log.read_text()[-1500:] if sup_log.exists() else ""
            failed[pid] = {
                "name": p["name"],
                "status": p["status"],
                "reason": p.get("status_reason"),
                "steps": [s.get("status") for s in p["implementation_plan"]],
                "log_tail": [f"{e['id']} {e['level']}: {e['message'][:300]}" for e in logs[-15:]],
                "supervisor_log_tail": tail,
            }
    wall = (max(finished.values()) if finished else t_end) - t0
    window = t_end - t0
    cpu = sampler.cpu_seconds()
    totals = [sum(s["rss"].values()) for s in sampler.samples]
    peak = max(sampler.samples, key=lambda s: sum(s["rss"].values())) if sampler.samples else None
    return {
        "n": n,
        "steps": steps,
        "delay": delay,
        "completed": len(completed),
        "failed": failed,
        "wall_all_done": wall,
        "window": window,
        "finish_times": sorted(t - t0 for t in finished.values()),
        "start_ms": start_ms,
        "latencies": lat,
        "answers": answers,
        "cpu": cpu,
        "cpu_total": sum(cpu.values()),
        "sys_util": (sys1[0] - sys0[0]) / max(1, sys1[1] - sys0[1]),
        "load0": load0,
        "load1": load1,
        "load_max": max((s["load"][0] for s in sampler.samples), default=load1[0]),
        "rss_peak_total": max(totals, default=0),
        "rss_peak": peak["rss"] if peak else {},
        "peak_counts": (peak["n_sup"], peak["n_claude"]) if peak else (0, 0),
        "max_sup": max((s["n_sup"] for s in sampler.samples), default=0),
        "max_claude": max((s["n_claude"] for s in sampler.samples), default=0),
        "model_calls": len(fake.calls(main_only=False)) - calls0,
        "earlier_rss": sampler.earlier_rss,
        "earlier_claude": getattr(sampler, "earlier_claude", 0),
    }


# -- report ------------------------------------------------------------------------------------------


def mb(kb: float) -> str:
    return f"{kb / 1024:.0f} MB" if kb >= 10 * 1024 else f"{kb / 1024:.1f} MB"


def ms(s: float) -> str:
    return f"{s * 1000:.0f} ms"


def lat_row(name: str, values: list[float]) -> str:
    if not values:
        return f"| {name} | - | - | - | - | 0 |"
    return (
        f"| {name} | {ms(pct(values, 0.5))} | {ms(pct(values, 0.9))} | {ms(pct(values, 0.95))} | {ms(max(values))} "
        f"| {len(values)} |"
    )


def col(items: list[dict[str, float]] | None, key: str, steps: str = "all") -> list[float]:
    """One interval of per-step items; steps: all, first (step 1) or later (steps 2..)."""
    lo, hi = {"all": (1, 10**9), "first": (1, 1), "later": (2, 10**9)}[steps]
    return [float(x[key]) for x in items or [] if key in x and lo <= int(x["step"]) <= hi]


# -- issue 13's targets -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    figure: str
    target: str
    was: str  # the figure for the old code
    value: str
    ok: bool | None  # None: not measured


def targets(run: dict[str, Any]) -> list[Target]:
    a, b, w, c = run.get("a"), run.get("b"), run.get("w"), run.get("c")
    out: list[Target] = []

    def lat(figure: str, target: float, was: str, values: list[float], q: float) -> None:
        if not values:
            out.append(Target(figure, f"< {ms(target)}", was, "-", None))
            return
        v = pct(values, q)
        out.append(Target(figure, f"< {ms(target)}", was, f"{ms(v)} (n {len(values)})", v < target))

    done = col(a.get("answers") if a else None, "answer_to_done")
    lat("model's last answer of a step -> step done frame, p50", 0.2, "317 ms", done, 0.5)
    lat("model's last answer of a step -> step done frame, p95", 0.4, "1.8 s", done, 0.95)
    nxt = col(a.get("answers") if a else None, "answer_to_next")
    lat("that answer -> the next step's first model request, p50", 0.35, "456 ms", nxt, 0.5)
    before = (b or {}).get("before") or {}
    cpu = before.get("cpu_pct")
    out.append(
        Target(
            "one supervisor waiting for a human: CPU incl. its children",
            "< 0.2 % of one core",
            "1.0 %",
            "-" if cpu is None else f"{cpu:.2f} % (over {before['seconds']:.0f} s)",
            None if cpu is None else cpu < 0.2,
        )
    )
    rss = before.get("rss") or []
    out.append(
        Target(
            "its RSS before the decision model loads (max)",
            "< 60 MB",
            "-",
            "-" if not rss else mb(max(rss)),
            None if not rss else max(rss) < 60 * 1024,
        )
    )
    waiting = "projects waiting for a human at once (`--waiting`): server + supervisors + tmux"
    if w:
        out.append(
            Target(
                waiting,
                "< 5 % of one core",
                "-",
                f"{w['target_pct']:.2f} % ({w['waiting']}/{w['n']} waiting)",
                w["target_pct"] < 5.0 and w["waiting"] == w["n"],
            )
        )
    else:
        out.append(Target(waiting, "< 5 % of one core", "-", "-", None))
    running = "projects running at once (`--projects`): completed"
    under = "under that load: last answer -> step done frame, p95"
    if c:
        n = c["n"]
        out.append(Target(running, "all", "-", f"{c['completed']} / {n}", c["completed"] == n))
        lat(under, 2.0, "5.5 s", col(c.get("answers"), "answer_to_done"), 0.95)
    else:
        out.append(Target(running, "all", "-", "-", None))
        out.append(Target(under, "< 2000 ms", "5.5 s", "-", None))
    return out


def verdict(t: Target) -> str:
    return "-" if t.ok is None else ("PASS" if t.ok else "FAIL")


def render_targets(runs: dict[str, dict[str, Any]]) -> list[str]:
    labels = list(runs)
    rows = {label: targets(run) for label, run in runs.items()}
    L = ["| figure | target | issue's old figure | " + " | ".join(f"`{x}`" for x in labels) + " |"]
    L.append("|---|---|---|" + "---|" * len(labels))
    for i, t in enumerate(rows[labels[0]]):
        cells = []
        for label in labels:
            u = rows[label][i]
            cells.append(f"{u.value} **{verdict(u)}**" if u.ok is not None else u.value)
        L.append(f"| {t.figure} | {t.target} | {t.was} | " + " | ".join(cells) + " |")
    return L


def render_run(label: str, run: dict[str, Any]) -> list[str]:
    meta, a, b, w, c = run["meta"], run.get("a"), run.get("b"), run.get("w"), run.get("c")
    L: list[str] = [f"### `{label}`: {meta['code']}", ""]
    L.append(
        f"Measured {meta['date']} on {meta['machine']}; Claude Code {meta['claude']}. "
        f"Server settings: supervisor tick {meta['tick']} s (the production default is 0.2 s). "
        f"Load average when the run began: {meta['load_before']}"
        f"{' (the machine was shared with other work)' if meta['busy'] else ''}."
        f" Reproduce: `{meta['command']}`"
    )
    L.append("")
    if a:
        L.append(
            f"#### Latency ({a['steps']} one-file steps, one project, "
            f"{a['steps_done']}/{a['steps']} done, {a['status']}, {a['wall']:.0f} s)"
        )
        L.append("")
        L.append("| interval | p50 | p90 | p95 | max | n |")
        L.append("|---|---|---|---|---|---|")
        ans = a.get("answers")
        L.append(lat_row("model's last answer -> step done frame", col(ans, "answer_to_done")))
        L.append(lat_row("... step 1 only (the decision model loads)", col(ans, "answer_to_done", "first")))
        L.append(lat_row("... steps 2.. only", col(ans, "answer_to_done", "later")))
        L.append(lat_row("model's last answer -> next step's first model request", col(ans, "answer_to_next")))
        L.append(lat_row("of which: last answer -> decision model's request", col(ans, "answer_to_decision")))
        L.append(lat_row("of which: decision model's answer -> step done frame", col(ans, "decision_to_done")))
        lat = a["latencies"]
        L.append(lat_row("Stop hook -> `Step K done` log frame on the socket", [x["stop_to_log_frame"] for x in lat]))
        L.append(
            lat_row(
                "Stop hook -> state frame with step K done",
                [x["stop_to_state_frame"] for x in lat if "stop_to_state_frame" in x],
            )
        )
        L.append(lat_row("of which: Stop hook -> log row written (supervisor)", [x["stop_to_row"] for x in lat]))
        if any("stop_to_verdict" in x for x in lat):
            L.append(
                lat_row(
                    "of which: Stop hook -> verdict row (turn end seen + decision model)",
                    [x["stop_to_verdict"] for x in lat if "stop_to_verdict" in x],
                )
            )
            L.append(
                lat_row(
                    "of which: verdict row -> `Step K done` row (git checkpoint + DB)",
                    [x["verdict_to_row"] for x in lat if "verdict_to_row" in x],
                )
            )
        L.append(lat_row("of which: log row -> frame arrives (event pump + socket)", [x["row_to_frame"] for x in lat]))
        if c:
            lc = c["latencies"]
            L.append(
                lat_row(
                    f"under load ({c['n']} projects at once): last answer -> step done frame",
                    col(c.get("answers"), "answer_to_done"),
                )
            )
            L.append(
                lat_row("under load: last answer -> next step's first request", col(c.get("answers"), "answer_to_next"))
            )
            L.append(lat_row("under load: Stop hook -> `Step K done` frame", [x["stop_to_log_frame"] for x in lc]))
            L.append(lat_row("under load: of which Stop hook -> log row written", [x["stop_to_row"] for x in lc]))
            L.append(lat_row("under load: of which log row -> frame", [x["row_to_frame"] for x in lc]))
        L.append("")
    if a or b:
        L.append("#### Memory and CPU of one project")
        L.append("")
        L.append("| what | value |")
        L.append("|---|---|")
        for key, when in (("before", "before the decision model loaded"), ("after", "after it judged a step")):
            win = (b or {}).get(key)
            if not win:
                continue
            r = win["rss"]
            if r:
                L.append(
                    f"| supervisor VmRSS, waiting for a human {when} ({len(r)} samples over {win['seconds']:.0f} s) "
                    f"| median {mb(statistics.median(r))}, max {mb(max(r))} |"
                )
            if win.get("cpu_pct") is not None:
                L.append(f"| supervisor CPU incl. its children, waiting {when} | {win['cpu_pct']:.2f} % of one core |")
            if win.get("claude_cpu_pct") is not None and win.get("claude_main"):
                L.append(
                    f"| Claude Code on its permission prompt ({when}): CPU, VmRSS | {win['claude_cpu_pct']:.2f} % "
                    f"of one core, median {mb(statistics.median(win['claude_main']))} |"
                )
        if a and a["sup_rss_turn"]:
            r = a["sup_rss_turn"]
            L.append(
                f"| supervisor VmRSS during {a['steps']} turns ({len(r)} samples, 0.1 s) | "
                f"median {mb(statistics.median(r))}, max {mb(max(r))} |"
            )
            L.append(
                f"| supervisor VmRSS, first vs last tenth of the turns | {mb(statistics.median(a['sup_rss_first']))}"
                f" -> {mb(statistics.median(a['sup_rss_last']))} |"
            )
            if a.get("sup_cpu_s") is not None and a.get("turn_window"):
                L.append(
                    f"| supervisor CPU during the turns (incl. its tmux/git children) | {a['sup_cpu_s']:.1f} s over "
                    f"{a['turn_window']:.0f} s ({100 * a['sup_cpu_s'] / a['turn_window']:.0f} % of one core) |"
                )
            if a.get("sup_cpu_startup_s") is not None:
                L.append(
                    f"| supervisor CPU from spawn to the first step (Claude Code start-up) | "
                    f"{a['sup_cpu_startup_s']:.1f} s |"
                )
        if a and a["claude_main"]:
            L.append(
                f"| Claude Code process VmRSS (pane pid) during the turns | "
                f"median {mb(statistics.median(a['claude_main']))}, max {mb(max(a['claude_main']))} |"
            )
            L.append(f"| Claude Code pane process tree (incl. hooks, shells) | max {mb(max(a['claude_tree']))} |")
        if a and a.get("after"):
            af = a["after"]
            L.append(
                f"| 2 s after the project completed (instance `{af['instance']}`) | Claude Code "
                f"{'still running, ' + mb(af['rss']) if af['pane_alive'] else 'gone'} |"
            )
        if b:
            L.append(
                f"| the ask-policy project | waited in `{b.get('status_before')}` (step 1) and "
                f"`{b.get('status_after')}` (step 2); after the replies: `{b['final']}` |"
            )
        L.append("")
    if w:
        L.append(f"#### {w['n']} projects waiting for a human at once (permission policy `ask`, first Write)")
        L.append("")
        cp = w["cpu_pct"]
        per = w["per_sup_pct"]
        L.append("| what | value |")
        L.append("|---|---|")
        L.append(
            f"| waiting in `needs_help` | {w['waiting']} / {w['n']}, within {w['all_waiting_s']:.0f} s of the first "
            "start |"
        )
        L.append(
            f"| CPU over {w['window']:.0f} s: server + supervisors + tmux | {w['target_pct']:.2f} % of one core "
            f"(server {cp.get('server', 0):.2f} %, {w['n_sup']} supervisors incl. children "
            f"{cp.get('supervisor', 0):.2f} %, "
            f"tmux server {cp.get('tmux', 0):.2f} %) |"
        )
        if per:
            L.append(
                f"| one supervisor incl. children | median {statistics.median(per):.2f} %, max {max(per):.2f} % "
                "of one core |"
            )
        L.append(f"| memory they took (MemAvailable before the starts - when all waited) | {mb(w['mem_used_kb'])} |")
        if w["sup_rss"]:
            L.append(
                f"| supervisor VmRSS | median {mb(statistics.median(w['sup_rss']))}, max {mb(max(w['sup_rss']))}; "
                f"server {mb(w['server_rss'])} |"
            )
        L.append(
            f"| not counted: {w['n_panes']} pane processes (the Claude Codes on their prompts, earlier phases' "
            "idle ones, shells) | "
            f"{cp.get('claude', 0):.2f} % of one core |"
        )
        L.append(
            f"| whole machine CPU utilisation; load 1-min before / after | {100 * w['sys_util']:.0f} %; "
            f"{w['load0'][0]:.2f} / {w['load1'][0]:.2f} |"
        )
        L.append(f"| supervisors still alive 1 s after each project was stopped | {w.get('alive_after_stop', '-')} |")
        if w.get("low_memory"):
            L.append(f"| stopped waiting for the rest: MemAvailable fell below {mb(LOW_MEMORY_KB)} | yes |")
        if w["not_waiting"]:
            L.append(f"| not waiting when measured | {w['not_waiting']} |")
        L.append("")
    if c:
        L.append(
            f"#### {c['n']} projects at once (one server, one user, {c['steps']} steps each, fake replies take "
            f"{c['delay']} s per model call)"
        )
        L.append("")
        pk = c["rss_peak"]
        L.append("| what | value |")
        L.append("|---|---|")
        L.append(f"| completed | {c['completed']} / {c['n']} |")
        first = c["finish_times"][0] if c["finish_times"] else float("nan")
        L.append(
            f"| wall time, first start request -> all finished | {c['wall_all_done']:.1f} s "
            f"(first finished at {first:.1f} s) |"
        )
        L.append(
            f"| POST /start latency | median {statistics.median(c['start_ms']):.0f} ms, "
            f"max {max(c['start_ms']):.0f} ms |"
        )
        L.append(f"| peak total RSS (server + supervisors + tmux + panes) | {mb(c['rss_peak_total'])} |")
        L.append(
            f"| at that peak: server / supervisors / Claude Code / tmux + pane shells | {mb(pk.get('server', 0))} / "
            f"{mb(pk.get('supervisor', 0))} ({c['peak_counts'][0]}) / {mb(pk.get('claude', 0))} "
            f"({c['peak_counts'][1]}) / {mb(pk.get('tmux', 0) + pk.get('pane', 0))} |"
        )
        cpu = c["cpu"]
        L.append(
            f"| CPU of those processes over the {c['window']:.0f} s window | {c['cpu_total']:.0f} s = "
            f"{c['cpu_total'] / c['window']:.2f} cores: Claude Code {cpu.get('claude', 0):.0f} s, supervisors "
            f"{cpu.get('supervisor', 0):.0f} s, server {cpu.get('server', 0):.0f} s, tmux + shells "
            f"{cpu.get('tmux', 0) + cpu.get('pane', 0):.0f} s |"
        )
        L.append(f"| whole machine CPU utilisation (/proc/stat, {meta['nproc']} cores) | {100 * c['sys_util']:.0f} % |")
        L.append(
            f"| /proc/loadavg 1-min: before / max / after | {c['load0'][0]:.2f} / {c['load_max']:.2f} / "
            f"{c['load1'][0]:.2f} |"
        )
        L.append(f"| model calls answered by the fake | {c['model_calls']} |")
        L.append(
            f"| not counted above: Claude Code of the earlier phases' finished projects, still running | "
            f"{c['earlier_claude']} process(es), {mb(c['earlier_rss'])} at the end |"
        )
        L.append("")
        if c["failed"]:
            L.append("Projects that did not complete:")
            L.append("")
            for pid, f in c["failed"].items():
                L.append(
                    f"- project {pid} ({f['name']}): `{f['status']}` - {f['reason']}; steps {f['steps']}; last log: "
                    f"`{(f['log_tail'] or ['-'])[-1][:200]}`"
                )
            L.append("")
    notes = list(meta.get("notes") or [])
    if meta.get("killed_at_cleanup"):
        notes.append(f"{meta['killed_at_cleanup']} supervisor(s) were still alive when the run ended (killed).")
    if notes:
        L += [f"- {x}" for x in notes]
        L.append("")
    return L


def render(runs: dict[str, dict[str, Any]]) -> str:
    """The `## Supervisor` section: issue 13's targets for every stored run side by side, then each run."""
    L: list[str] = ["## Supervisor", ""]
    L.append(
        "A real `autocode serve`, the pinned Claude Code CLI in tmux and the scripted fake Anthropic endpoint "
        "(tests/fakes/fake_anthropic.py) running inside the bench process. One clock: the bench's "
        "`time.monotonic()` stamps when the fake finished sending each response and when each frame of "
        "`WS /ws/projects/{id}/events` arrived. *The model's last answer of a step* is the end of Claude Code's "
        "last response before the step's done frame (the first `Step K done` log frame or state frame showing "
        "the step done); the decision model's call after it (answered at once by the fake) counts as the "
        "supervisor's time. Each run is kept in `bench/supervisor_runs.json` under its label; the table shows "
        "every stored run."
    )
    L.append("")
    L += render_targets(runs)
    L.append("")
    for label, run in runs.items():
        L += render_run(label, run)
    return "\n".join(L)


def interpret(a: dict[str, Any] | None, b: dict[str, Any] | None, c: dict[str, Any] | None) -> list[str]:
    notes = []
    if a and a["latencies"]:
        lat = a["latencies"]
        notes.append(
            f"Stop hook -> UI: p50 {ms(pct([x['stop_to_log_frame'] for x in lat], 0.5))}, of which the supervisor "
            f"(Stop -> row) p50 {ms(pct([x['stop_to_row'] for x in lat], 0.5))} and the server (row -> frame) p50 "
            f"{ms(pct([x['row_to_frame'] for x in lat], 0.5))}."
        )
        multi = [x for x in lat if x["stops_in_step"] > 1]
        if multi:
            notes.append(f"{len(multi)} step(s) saw more than one Stop (follow-up turns); the last Stop was used.")
    if a and a["sup_rss_turn"]:
        growth = statistics.median(a["sup_rss_last"]) - statistics.median(a["sup_rss_first"])
        notes.append(
            f"Supervisor memory over {a['steps']} turns changed by {growth / 1024:+.1f} MB "
            f"({'flat' if abs(growth) < 3 * 1024 else 'worth a look'})."
        )
    if b and b.get("decision_calls_before"):
        notes.append(
            f"The decision model had already been called {b['decision_calls_before']} time(s) before the first "
            "wait: that RSS is not 'before it loads'."
        )
    if c and c["completed"] != c["n"]:
        notes.append(f"Only {c['completed']} of {c['n']} projects completed within the time limit: see the list.")
    return notes


def readme_line() -> None:
    """Add this bench's section to bench/README.md once (another bench owns the rest of it)."""
    if not README.exists() or "bench/supervisor.py" in README.read_text():
        return
    content = README.read_text()
    entry = (
        "\n## Supervisor — `bench/supervisor.py`\n\nStop hook → UI event latency, supervisor and Claude Code "
        "memory, 20 projects at once.\n\n```sh\n.venv/bin/python bench/supervisor.py --ref HEAD\n```\n"
    )
    if README.read_text() == content:
        README.write_text(content.rstrip("\n") + "\n" + entry)


def load_runs() -> dict[str, dict[str, Any]]:
    try:
        runs = json.loads(RUNS.read_text())
    except (OSError, ValueError):
        return {}
    return runs if isinstance(runs, dict) else {}


def store_run(label: str, run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Keep this run under its label; the old code's run comes first in the report."""
    runs = load_runs()
    runs[label] = json.loads(json.dumps(run))
    runs = dict(sorted(runs.items(), key=lambda kv: (kv[0] != "old", kv[1]["meta"].get("date", ""))))
    RUNS.write_text(json.dumps(runs, indent=1) + "\n")
    return runs


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--steps", type=int, default=20, help="steps of the latency project")
    ap.add_argument("--waiting", type=int, default=50, help="projects waiting for a human at once")
    ap.add_argument("--projects", type=int, default=20, help="projects running at once")
    ap.add_argument("--conc-steps", type=int, default=3, help="steps of each project running at once")
    ap.add_argument("--delay", type=float, default=1.5, help="seconds the fake takes per model call under load")
    ap.add_argument("--idle-seconds", type=float, default=30.0, help="length of each waiting measurement")
    ap.add_argument("--tick", type=float, default=0.2, help="AUTOCODE_SUPERVISOR_TICK_SECONDS (default: production's)")
    ap.add_argument("--timeout", type=float, default=420.0, help="limit for the concurrent phase")
    ap.add_argument("--ref", help="measure `git archive REF backend` instead of the working tree")
    ap.add_argument("--label", help="the run's name in the report (default: REF, or 'new' for the working tree)")
    ap.add_argument("--skip", default="", help="comma list of phases to skip: latency,idle,waiting,fleet")
    ap.add_argument("--no-write", action="store_true", help="only print; keep RESULTS.md and the stored runs")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (logs) for inspection")
    args = ap.parse_args()
    if not CLI.exists():
        print(f"the pinned Claude Code CLI is missing: npm --prefix tools/claude-code ci ({CLI})", file=sys.stderr)
        return 2
    skip = set(filter(None, args.skip.split(",")))
    label = args.label or args.ref or "new"
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", args.ref or "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    if args.ref and not head:
        print(f"unknown ref {args.ref!r}", file=sys.stderr)
        return 2
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--", "backend"], capture_output=True, text=True
    ).stdout.strip()
    code = (
        f"`{args.ref}` = {head}"
        if args.ref
        else f"working tree at {head}{' + uncommitted backend changes' if dirty else ''}"
    )
    mem_gb = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    load_before = loadavg()
    sizes = (
        f" --steps {args.steps} --waiting {args.waiting} --projects {args.projects}"
        f" --idle-seconds {args.idle_seconds:g}"
    )
    meta: dict[str, Any] = {
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "machine": f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {mem_gb:.0f} GB RAM, Linux "
        f"{platform.release()}, Python {platform.python_version()}",
        "nproc": len(os.sched_getaffinity(0)),
        "claude": claude_version(),
        "code": code,
        "tick": args.tick,
        "idle": args.idle_seconds,
        "load_before": " ".join(f"{x:.2f}" for x in load_before),
        "busy": load_before[0] > 0.5 * len(os.sched_getaffinity(0)),
        "command": ".venv/bin/python bench/supervisor.py"
        + (f" --ref {args.ref}" if args.ref else "")
        + f" --label {label}"
        + sizes,
    }
    print(f"[bench] {meta['machine']}; Claude Code {meta['claude']}; {code}; load {meta['load_before']}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="acb-sup-"))
    data = tmp / "data"
    fake: TimedFake | None = None
    server: Server | None = None
    a = b = w = c = None
    try:
        python = snapshot_python(args.ref, tmp) if args.ref else None
        fake = TimedFake().start()
        env = {
            "AUTOCODE_CLAUDE_COMMAND": str(CLI),
            "AUTOCODE_SUPERVISOR_TICK_SECONDS": str(args.tick),
            "AUTOCODE_RETRY_BACKOFF_MAX_SECONDS": "2",
        }
        server = Server(data, python, env)
        r = server.http.post(
            "/api/keys", json={"provider": "anthropic", "key": "sk-ant-test-0123456789abcdef", "base_url": fake.url}
        )
        assert r.status_code == 201, r.text
        if "latency" not in skip:
            print(f"[bench] A: {args.steps} steps, answer -> step done latency", flush=True)
            a = phase_latency(server, fake, data, args.steps)
            print(
                f"[bench] A: {a['status']} {a['steps_done']}/{a['steps']} in {a['wall']:.0f}s; "
                f"{len(a['answers'])} answer latencies, {len(a['latencies'])} Stop latencies",
                flush=True,
            )
            if a.get("log_tail"):
                print("\n".join(a["log_tail"]))
        if "idle" not in skip:
            print("[bench] B: one supervisor waiting for a human", flush=True)
            b = phase_idle(server, fake, data, args.idle_seconds)
            print(
                f"[bench] B: {b.get('status_before')} / {b.get('status_after')} -> {b['final']}; "
                f"cpu {(b.get('before') or {}).get('cpu_pct')} / {b.get('cpu_pct')}",
                flush=True,
            )
        need_kb = args.waiting * PER_WAITING_KB + 2 * 1024 * 1024
        if "waiting" not in skip and mem_available_kb() < need_kb:
            print(
                f"[bench] W: skipped: {args.waiting} Claude Codes and supervisors need about {mb(need_kb)}, "
                f"{mb(mem_available_kb())} is available",
                flush=True,
            )
        elif "waiting" not in skip:
            print(f"[bench] W: {args.waiting} projects waiting for a human", flush=True)
            w = phase_waiting(server, fake, data, args.waiting, args.idle_seconds, 120 + 8 * args.waiting)
            print(
                f"[bench] W: {w['waiting']}/{w['n']} waiting after {w['all_waiting_s']:.0f}s; "
                f"{w['target_pct']:.2f} % of one core; {w['alive_after_stop']} supervisor(s) alive after stop",
                flush=True,
            )
        if "fleet" not in skip:
            print(f"[bench] C: {args.projects} projects at once", flush=True)
            c = phase_concurrency(server, fake, data, args.projects, args.conc_steps, args.delay, args.timeout)
            print(f"[bench] C: {c['completed']}/{c['n']} completed, all done in {c['wall_all_done']:.0f}s", flush=True)
            for pid, f in c["failed"].items():
                print(
                    f"[bench] C: project {pid} {f['status']}: {f['reason']}\n  "
                    + "\n  ".join(f["log_tail"])
                    + "\n  supervisor.log: "
                    + f["supervisor_log_tail"][-600:]
                )
    finally:
        killed = kill_supervisors(data)
        if server is not None:
            server.stop()
        killed += kill_supervisors(data)  # one the server may have restarted meanwhile
        with contextlib.suppress(Exception):
            from autocode.runtime.local import LocalRuntime

            LocalRuntime(data_dir=data).remove_user(ADMIN)
        if fake is not None:
            fake.stop()
        meta["killed_at_cleanup"] = killed
        print(f"[bench] cleanup: killed {killed} supervisor(s)", flush=True)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"[bench] kept {tmp}")
    meta["notes"] = interpret(a, b, c)
    run = {"meta": meta, "a": a, "b": b, "w": w, "c": c}
    if args.no_write:
        runs = {**load_runs(), label: json.loads(json.dumps(run))}
    else:
        runs = store_run(label, run)
    section = render(runs)
    print(section)
    if not args.no_write:
        write_section(section)
        readme_line()
        print(f"[bench] wrote the Supervisor section of {RESULTS} and run `{label}` to {RUNS}")
    for t in targets(runs[label]):
        print(f"[bench] {verdict(t):4} {t.figure}: {t.value} (target {t.target})")
    ok = (a is None or a["status"] == "completed") and (c is None or c["completed"] == c["n"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
