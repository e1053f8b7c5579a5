"""The brain writes only under its own brain dir (outside the user's tree), never under $HOME, and never goes online.

It runs in a fresh interpreter so that nanobot is imported with the empty HOME in place, and an
audit hook records every DNS lookup and connection the process attempts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.fakes.fake_openai import FakeOpenAI, call, reply

REPO = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, sys
from pathlib import Path, PurePosixPath

events = []

def audit(event, args):
    if event == "socket.getaddrinfo":
        events.append(["dns", str(args[0])])
    elif event == "socket.connect":
        address = args[1]
        events.append(["connect", str(address[0]) if isinstance(address, tuple) else str(address)])

sys.addaudithook(audit)

from autocode.core.files import Tree
from autocode.supervisor.brain import Brain, BrainConfig, ProjectFiles

class Steering:
    def __init__(self): self.calls = []
    def send_text(self, text): self.calls.append("send_text"); return "ok"
    def press_key(self, key): return "ok"
    def mark_step_done(self, summary): self.calls.append("mark_step_done"); return "ok"
    def mark_step_failed(self, reason): return "ok"
    def revise_plan(self, steps, reason): return "ok"
    def ask_human(self, question): return "ok"

url, workspace, brain_dir = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
brain = Brain(BrainConfig(model="openai/gpt-test", api_key="sk-iso", base_url=url, identity="I",
                          brain_dir=brain_dir, files=ProjectFiles(Tree(workspace), PurePosixPath(".")),
                          tools=["read_file"]))
steering = Steering()
decision = brain.decide("ISOLATION check " + "long context " * 400, steering)
brain.close()
print(json.dumps({"text": decision.text, "calls": steering.calls, "events": events}))
"""


def test_no_writes_outside_the_brain_dir_and_no_network(fake: FakeOpenAI, tmp_path: Path) -> None:
    home, cwd, workspace, brain_dir = tmp_path / "home", tmp_path / "cwd", tmp_path / "ws", tmp_path / "brain"
    for d in (home, cwd, workspace):
        d.mkdir(parents=True, exist_ok=True)
    (workspace / "README.md").write_text("hello\n")
    fake.on_message(
        "ISOLATION", call("read_file", path="README.md"), call("mark_step_done", summary="s"), reply("isolated")
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TIKTOKEN", "DATA_GYM", "NANOBOT"))}
    env.update(HOME=str(home), PYTHONPATH=str(REPO / "backend"), TMPDIR=str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, fake.url, str(workspace), str(brain_dir)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["text"] == "isolated"
    assert result["calls"] == ["mark_step_done"]

    assert list(home.rglob("*")) == []
    assert list(cwd.rglob("*")) == []
    assert sorted(p.name for p in workspace.iterdir()) == ["README.md"]  # nothing in the user's tree
    assert list((brain_dir / "sessions").rglob("*.jsonl"))
    assert brain_dir.stat().st_mode & 0o777 == 0o700
    assert ["connect", "127.0.0.1"] in result["events"]  # the hook sees connections
    assert list((tmp_path / "tmp").rglob("*")) == []
    offline = [e for e in result["events"] if e[1] not in ("127.0.0.1", "localhost", "::1")]
    assert offline == []
