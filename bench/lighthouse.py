#!/usr/bin/env python3
"""How the web app feels on a phone: Lighthouse (mobile profile) and the initial JS size.

Expects a built frontend/dist (builds nothing). Starts a real `autocode serve` on 127.0.0.1
with a temporary data dir, creates a user with an agent and a project (with a plan), and runs
npm `lighthouse` with Debian's Chromium (CHROME_PATH=/usr/bin/chromium) against:

* /login              - what everyone sees first (anonymous);
* /                   - the dashboard, signed in;
* /projects/{id}      - the project page with its live terminal, signed in.

Signed-in pages: the app keeps its access token in memory and restores the session through the
httpOnly refresh cookie, so each Lighthouse run gets a fresh refresh token (a new login) passed
as `--extra-headers '{"Cookie": "autocode_refresh=..."}'` - the page then loads exactly as for
a returning user.

Initial JS: the scripts and modulepreloads index.html loads up front, each gzip -9 (lazy pages
and xterm are not counted). Targets: performance, accessibility, best practices >= 90; initial
JS <= 250 KB gzipped.

Run: .venv/bin/python bench/lighthouse.py   (~1-2 minutes; writes "## Web app" in
bench/RESULTS.md; --no-write to only print; --runs N for the median of N runs per page).
Lighthouse is installed once into /tmp/autocode-lighthouse (npm, pinned version) unless
--lighthouse points at a binary.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.results import write_section  # noqa: E402
from tests.support.server import ADMIN_PASSWORD, ServerProcess, stop_tmux_servers  # noqa: E402

DIST = REPO / "frontend" / "dist"
RESULTS = REPO / "bench" / "RESULTS.md"
CHROMIUM = "/usr/bin/chromium"
LIGHTHOUSE_VERSION = "13.5.0"
LH_PREFIX = Path("/tmp/autocode-lighthouse")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-background-networking"
CATEGORIES = ["performance", "accessibility", "best-practices"]
METRICS = {
    "first-contentful-paint": "FCP",
    "largest-contentful-paint": "LCP",
    "total-blocking-time": "TBT",
    "cumulative-layout-shift": "CLS",
    "interactive": "TTI",
}
HEADING = "## Web app"


def lighthouse_bin(explicit: str | None) -> str:
    if explicit:
        return explicit
    binary = LH_PREFIX / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        print(f"installing lighthouse@{LIGHTHOUSE_VERSION} into {LH_PREFIX} ...", flush=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(LH_PREFIX),
                f"lighthouse@{LIGHTHOUSE_VERSION}",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return str(binary)


def initial_js() -> tuple[int, int, list[tuple[str, int]]]:
    """(JS bytes gzipped, CSS bytes gzipped, [(file, gz bytes)]) of what index.html loads up front."""
    html = (DIST / "index.html").read_text()
    refs: list[str] = []
    for tag in re.findall(r"<(?:script|link)\b[^>]*>", html):
        if tag.startswith("<link") and not re.search(r'rel="(?:modulepreload|stylesheet)"', tag):
            continue
        m = re.search(r'(?:src|href)="(/[^"]+\.(?:js|css))"', tag)
        if m and m.group(1) not in refs:
            refs.append(m.group(1))
    js = css = 0
    files = []
    for ref in refs:
        size = len(gzip.compress((DIST / ref.lstrip("/")).read_bytes(), compresslevel=9))
        files.append((ref, size))
        if ref.endswith(".js"):
            js += size
        else:
            css += size
    return js, css, files


def login_refresh(base: str, username: str, password: str) -> str:
    import httpx

    r = httpx.post(f"{base}/api/auth/login", json={"username": username, "password": password}, timeout=10)
    r.raise_for_status()
    return str(r.json()["refresh_token"])


def run_lighthouse(lh: str, url: str, out: Path, cookie: str | None, assets: bool = False) -> dict[str, Any]:
    cmd = [
        lh,
        url,
        "--quiet",
        "--output=json",
        f"--output-path={out}",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={CHROME_FLAGS}",
    ]
    if assets:
        cmd.append("--save-assets")  # the trace and DevTools log next to the report
    if cookie:
        cmd.append("--extra-headers=" + json.dumps({"Cookie": f"autocode_refresh={cookie}"}))
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    subprocess.run(cmd, check=True, env=env, timeout=300)
    report: dict[str, Any] = json.loads(out.read_text())
    return report


def summarize(report: dict[str, Any]) -> dict[str, Any]:
    cats = {c: round(100 * (report["categories"][c]["score"] or 0)) for c in CATEGORIES}
    metrics = {label: report["audits"][key].get("numericValue") for key, label in METRICS.items()}
    failing = []
    for cat in ("accessibility", "best-practices"):
        for ref in report["categories"][cat]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref.get("weight", 0) > 0 and audit.get("score") is not None and audit["score"] < 1:
                failing.append(ref["id"] + detail(audit))
    final_url = report.get("finalDisplayedUrl") or report.get("finalUrl")
    return {
        "scores": cats,
        "metrics": metrics,
        "failing": failing,
        "final_url": final_url,
        "opportunities": opportunities(report),
    }


def detail(audit: dict[str, Any]) -> str:
    """A short why for a failed audit: the console error or the element that fails."""
    items = (audit.get("details") or {}).get("items") or []
    for item in items[:1]:
        text = item.get("description") or (item.get("node") or {}).get("snippet") or ""
        if text:
            return f" ({str(text)[:120]})"
    return ""


def opportunities(report: dict[str, Any]) -> list[str]:
    """The performance audits with the largest estimated savings."""
    found = []
    for audit in report["audits"].values():
        ms = (audit.get("metricSavings") or {}).get("LCP") or (audit.get("metricSavings") or {}).get("FCP")
        if audit.get("score") is not None and audit["score"] < 0.9 and ms:
            found.append((ms, f"{audit['title']} (~{ms / 1000:.1f} s)"))
    return [t for _, t in sorted(found, reverse=True)[:3]]


def fmt_ms(v: float | None) -> str:
    return "-" if v is None else f"{v / 1000:.2f} s"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page (median reported)")
    ap.add_argument("--lighthouse", help="path of a lighthouse binary (default: npm install, pinned)")
    ap.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    ap.add_argument("--only", help="run only the pages whose label contains this text (implies --no-write)")
    ap.add_argument("--keep", type=Path, help="copy every Lighthouse JSON report into this folder")
    args = ap.parse_args()

    if not (DIST / "index.html").exists():
        sys.exit("frontend/dist is missing: npm --prefix frontend ci && npm --prefix frontend run build")
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install -y chromium")
    lh = lighthouse_bin(args.lighthouse)
    lh_version = subprocess.run([lh, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    chrome_version = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()

    js, css, files = initial_js()
    for ref, size in files:
        print(f"{size / 1024:8.1f} KB  {ref}")
    print(f"initial JS {js / 1024:.1f} KB gzipped (-9), CSS {css / 1024:.1f} KB")

    import httpx

    tmp = Path(tempfile.mkdtemp(prefix="autocode-lh-"))
    data = tmp / "data"
    server = ServerProcess(data)
    results: dict[str, list[dict[str, Any]]] = {}
    encoding, wire_kb = "?", 0.0
    try:
        admin = httpx.Client(base_url=server.base, timeout=10)
        token = admin.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}).json()
        admin.headers["Authorization"] = f"Bearer {token['access_token']}"
        r = admin.post("/api/users", json={"username": "alice", "password": "alice-password-1"})
        r.raise_for_status()
        alice = httpx.Client(base_url=server.base, timeout=10)
        token = alice.post("/api/auth/login", json={"username": "alice", "password": "alice-password-1"}).json()
        alice.headers["Authorization"] = f"Bearer {token['access_token']}"
        agent = alice.post("/api/agents", json={"name": "Web developer", "model": "anthropic/claude-opus-4-6"}).json()
        plan = [{"title": "Scaffold the app"}, {"title": "Write the API tests"}, {"title": "Checkout"}]
        project = alice.post(
            f"/api/agents/{agent['id']}/projects",
            json={"name": "Eshop", "description": "A small tea shop.", "implementation_plan": plan},
        ).json()
        main_js = max((f for f in files if f[0].endswith(".js")), key=lambda f: f[1])[0]
        with httpx.stream("GET", server.base + main_js, headers={"Accept-Encoding": "gzip, br"}) as head:
            encoding = head.headers.get("content-encoding") or "none"
            wire_kb = sum(len(chunk) for chunk in head.iter_raw()) / 1024  # as sent, not decoded
        pages = [
            ("/login", "login (anonymous)", False),
            ("/", "dashboard (signed in)", True),
            (f"/projects/{project['id']}", "project + terminal (signed in)", True),
        ]
        if args.only:
            pages = [p for p in pages if args.only in p[1]]
            args.no_write = True
        for path, label, signed_in in pages:
            results[label] = []
            for i in range(args.runs):
                cookie = login_refresh(server.base, "alice", "alice-password-1") if signed_in else None
                report = run_lighthouse(
                    lh, server.base + path, tmp / f"lh-{len(results)}-{i}.json", cookie, assets=bool(args.keep)
                )
                s = summarize(report)
                if args.keep:
                    args.keep.mkdir(parents=True, exist_ok=True)
                    for f in tmp.glob(f"lh-{len(results)}-{i}*"):
                        shutil.copy(f, args.keep / f.name.replace(f"lh-{len(results)}-{i}", f"{label.split()[0]}-{i}"))
                if signed_in and s["final_url"] and s["final_url"].rstrip("/").endswith("/login"):
                    raise SystemExit(f"{label}: Lighthouse was sent to the login page; the cookie did not sign in")
                results[label].append(s)
                print(f"{label} run {i + 1}: {s['scores']} {s['metrics']}", flush=True)
    finally:
        server.stop()
        stop_tmux_servers(data, ["admin", "alice"])
        shutil.rmtree(tmp, ignore_errors=True)

    rows = []
    notes = []
    for label, runs in results.items():
        med = {c: statistics.median(r["scores"][c] for r in runs) for c in CATEGORIES}
        met = {m: statistics.median(v for r in runs if (v := r["metrics"][m]) is not None) for m in METRICS.values()}
        rows.append(
            f"| {label} | {med['performance']:.0f} | {med['accessibility']:.0f} | {med['best-practices']:.0f} | "
            f"{fmt_ms(met['FCP'])} | {fmt_ms(met['LCP'])} | {met['TBT']:.0f} ms | {met['CLS']:.3f} | "
            f"{' / '.join(str(r['scores']['performance']) for r in runs)} |"
        )
        failing = sorted({a for r in runs for a in r["failing"]})
        if failing:
            notes.append(f"- {label}: audits not passed: {'; '.join(failing)}")
        if runs[0]["opportunities"]:
            notes.append(f"- {label}: biggest load savings Lighthouse sees: {'; '.join(runs[0]['opportunities'])}")

    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    ok_js = "within" if js <= 250 * 1024 else "OVER"
    uncompressed = (
        "; uncompressed, that is most of the ~3 s FCP on simulated slow 4G"
        " (a compressing reverse proxy in front, or compression in the server, would cut it)"
        if encoding == "none"
        else ""
    )
    section = f"""{HEADING}

Run {now} on {os.cpu_count()} CPUs ({platform.machine()}), {platform.system()} {platform.release()};
{chrome_version}; Lighthouse {lh_version}, mobile profile (simulated slow 4G, 4x CPU slowdown);
load average {load} (the machine is shared).
Command: `.venv/bin/python bench/lighthouse.py --runs {args.runs}` (real `autocode serve` on 127.0.0.1
serving frontend/dist; `CHROME_PATH={CHROMIUM}`, `--chrome-flags="{CHROME_FLAGS}"`). Signed-in pages
get a fresh refresh cookie per run through `--extra-headers`, so they load as for a returning user.
Targets: each score >= 90.

| page | performance | accessibility | best practices | FCP | LCP | TBT | CLS | performance per run |
|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

Medians of {args.runs} runs per page.
{chr(10).join(notes) if notes else "- every weighted accessibility and best-practices audit passed"}
- transfer: `autocode serve` answered the entry script with `Content-Encoding: {encoding}`
  ({wire_kb:.0f} KB on the wire for a browser that accepts gzip/br){uncompressed}.

Initial JS (what `index.html` loads up front, each file gzip -9; lazy pages and xterm not counted):
**{js / 1024:.1f} KB** ({ok_js} the 250 KB budget); CSS {css / 1024:.1f} KB.
{chr(10).join(f"- `{ref}` {size / 1024:.1f} KB" for ref, size in files)}
"""
    print(section)
    if not args.no_write:
        write_section(section, RESULTS)
        print(f"wrote {HEADING!r} in {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
