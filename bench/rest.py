#!/usr/bin/env python3
"""REST under load: `GET /api/projects` (10 projects, signed in) and `GET /api/health` on a real
`autocode serve`, against a bare FastAPI app serving the same JSON, with wrk, in the same run.

For each tree measured (the working tree, and with --compare REF also `git archive REF backend`):
start a server with a temporary data dir, make 10 projects (each with its own agent and a 5-step
plan), capture the two answers, start a bare FastAPI app (uvicorn, one process, like ours) that
returns those answers, then run wrk against bare and ours alternately for each endpoint and record
requests/s, the ratio to bare and the p99 latency, with the load average before each run (the
machine is shared: figures move with it).

Run: .venv/bin/python bench/rest.py --compare cf52fc6   (writes "## REST" in bench/RESULTS.md;
--no-write only prints). Needs wrk (apt-get install -y wrk). Every process started is stopped at
the end and the temp dir removed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "backend"))

import httpx  # noqa: E402

from bench.supervisor import RESULTS, Server, free_port, loadavg, snapshot_python, wait_until  # noqa: E402

PROJECTS = 10
PLAN = [{"title": f"Step {i}", "detail": f"Do part {i} of the work and check it."} for i in range(1, 6)]
TARGETS = {"projects": (0.5, 150.0), "health": (0.8, None)}  # (ratio to bare at least, p99 below ms)

BARE_APP = """
import json
from pathlib import Path
from fastapi import FastAPI

answers = json.loads(Path(__file__).with_name("answers.json").read_text())
app = FastAPI()


@app.get("/api/projects")
async def projects() -> list[dict[str, object]]:
    return answers["projects"]


@app.get("/api/health")
async def health() -> dict[str, object]:
    return answers["health"]
"""


@dataclass(frozen=True)
class Run:
    tree: str
    endpoint: str
    target: str  # "bare" or "ours"
    rps: float
    p99_ms: float
    errors: int
    load: tuple[float, float, float]


def wrk(url: str, *, seconds: int, threads: int, connections: int, token: str | None) -> tuple[float, float, int]:
    """(requests/s, p99 in ms, non-2xx + socket errors) of one wrk run."""
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if token:
        argv += ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(argv + [url], capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    assert p99 is not None, out
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = 0
    for pattern in (
        r"Non-2xx or 3xx responses: (\d+)",
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
    ):
        m = re.search(pattern, out)
        if m:
            errors += sum(int(g) for g in m.groups())
    return rps, float(p99.group(1)) * scale, errors


class Bare:
    """The bare FastAPI app in a uvicorn process of its own."""

    def __init__(self, tmp: Path, answers: dict[str, object]) -> None:
        folder = tmp / "bare"
        folder.mkdir()
        (folder / "answers.json").write_text(json.dumps(answers))
        (folder / "bare_app.py").write_text(BARE_APP)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        log = (tmp / "bare.log").open("ab")
        self.proc = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/python"),
                "-m",
                "uvicorn",
                "bare_app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            cwd=folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(self._up, 30, 0.1, "bare app up")

    def _up(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError("the bare app exited")
        try:
            return httpx.get(f"{self.base}/api/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def measure(tree: str, python: Path | None, tmp: Path, args: argparse.Namespace) -> list[Run]:
    server = Server(tmp / "data", python, {"AUTOCODE_IDLE_MINUTES": "600"})
    bare: Bare | None = None
    runs: list[Run] = []
    try:
        for i in range(PROJECTS):
            server.project(f"Project {i + 1}", PLAN)
        token = str(server.http.headers["Authorization"]).split(" ", 1)[1]
        answers = {"projects": server.http.get("/api/projects").json(), "health": server.http.get("/api/health").json()}
        assert len(answers["projects"]) == PROJECTS
        bare = Bare(tmp, answers)
        for endpoint in ("projects", "health"):
            path = f"/api/{endpoint}"
            for _ in range(args.rounds):
                for target, base in (("bare", bare.base), ("ours", server.base)):
                    load = loadavg()
                    auth = token if endpoint == "projects" and target == "ours" else None
                    rps, p99, errors = wrk(
                        base + path,
                        seconds=args.seconds,
                        threads=args.threads,
                        connections=args.connections,
                        token=auth,
                    )
                    runs.append(Run(tree, endpoint, target, rps, p99, errors, load))
                    print(
                        f"[rest] {tree} {endpoint} {target}: {rps:.0f} req/s, p99 {p99:.1f} ms,"
                        f" errors {errors}, load {load[0]:.2f}",
                        flush=True,
                    )
    finally:
        if bare is not None:
            bare.stop()
        server.stop()
    return runs


def summary(runs: list[Run], tree: str, endpoint: str) -> tuple[float, float, float, float, str]:
    """(ours req/s, bare req/s, ratio, ours p99, load averages) over the rounds (medians)."""
    import statistics

    ours = [r for r in runs if r.tree == tree and r.endpoint == endpoint and r.target == "ours"]
    bare = [r for r in runs if r.tree == tree and r.endpoint == endpoint and r.target == "bare"]
    ratios = [o.rps / b.rps for o, b in zip(ours, bare, strict=True)]
    loads = ", ".join(f"{r.load[0]:.2f}" for r in ours)
    return (
        statistics.median(r.rps for r in ours),
        statistics.median(r.rps for r in bare),
        statistics.median(ratios),
        statistics.median(r.p99_ms for r in ours),
        loads,
    )


def section(runs: list[Run], trees: list[str], args: argparse.Namespace, command: str) -> str:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        "## REST",
        "",
        f"Measured {when} on {os.cpu_count()} CPUs, Linux {platform.release()}, Python {platform.python_version()}; "
        f"wrk -t{args.threads} -c{args.connections} -d{args.seconds}s, {args.rounds} round(s) per figure alternating "
        f"bare and ours (medians). One user, {PROJECTS} projects of {len(PLAN)} steps; `GET /api/projects` signed in "
        "(bearer token), `GET /api/health` anonymous. Bare: a FastAPI app on uvicorn (one process, like ours) "
        "returning the same JSON from an `async def`. The machine is shared with other work: the load "
        "average (1 min) before each of our runs is given.",
        "",
        f"Reproduce: `{command}`",
        "",
        "| tree | endpoint | ours req/s | bare req/s | ours / bare | ours p99 | target | load (1 min) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for tree in trees:
        for endpoint in ("projects", "health"):
            ours, bare, ratio, p99, loads = summary(runs, tree, endpoint)
            at_least, p99_max = TARGETS[endpoint]
            target = f">= {at_least}x" + (f", p99 < {p99_max:.0f} ms" if p99_max else "")
            met = ratio >= at_least and (p99_max is None or p99 < p99_max)
            lines.append(
                f"| {tree} | `GET /api/{endpoint}` | {ours:.0f} | {bare:.0f} | {ratio:.2f}x | {p99:.1f} ms | "
                f"{target} ({'met' if met else 'NOT met'}) | {loads} |"
            )
    errors = sum(r.errors for r in runs)
    lines += ["", f"Errors (non-2xx, socket) over all runs: {errors}.", ""]
    return "\n".join(lines)


def write_section(text: str) -> None:
    """Replace only the `## REST` section of RESULTS.md (other benches own the others)."""
    current = RESULTS.read_text() if RESULTS.exists() else "# Benchmarks\n"
    lines = current.split("\n")
    start = next((i for i, ln in enumerate(lines) if ln.strip() == "## REST"), None)
    if start is None:
        new = current.rstrip("\n") + "\n\n" + text.rstrip() + "\n"
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        tail = "\n".join(lines[end:])
        new = "\n".join(lines[:start]) + "\n" + text.rstrip() + "\n" + ("\n" + tail if tail else "")
    RESULTS.write_text(new)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ref", help="measure `git archive REF backend` instead of the working tree")
    parser.add_argument("--compare", help="also measure this ref (before) next to the tree measured (after)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        return 2
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    trees: list[tuple[str, str | None]] = []
    if args.compare:
        trees.append((f"before: `{args.compare}`", args.compare))
    trees.append((f"`{args.ref}`" if args.ref else f"after: working tree (HEAD {head})", args.ref))
    runs: list[Run] = []
    for label, ref in trees:
        tmp = Path(tempfile.mkdtemp(prefix="autocode-rest-"))
        try:
            python = snapshot_python(ref, tmp) if ref else None
            runs += measure(label, python, tmp, args)
        finally:
            with contextlib.suppress(OSError):
                shutil.rmtree(tmp)
    text = section(
        runs, [label for label, _ in trees], args, ".venv/bin/python bench/rest.py " + " ".join(sys.argv[1:])
    )
    print(text)
    if not args.no_write:
        write_section(text)
        print(f"[rest] wrote the REST section of {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
