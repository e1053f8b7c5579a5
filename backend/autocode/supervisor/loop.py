"""The control loop of one project: plan, then send each step, watch, evaluate, checkpoint."""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from autocode.core.config import Settings
from autocode.core.security import Keys
from autocode.models import (
    Agent,
    AgentInstance,
    InstanceStatus,
    LogLevel,
    Project,
    ProjectStatus,
    StepStatus,
    User,
    utcnow,
)
from autocode.runtime import Runtime
from autocode.runtime.base import RuntimeErrorBase
from autocode.services import checkpoints, sessions
from autocode.services import keys as key_service
from autocode.services.orchestrator import CLAUDE_PROVIDERS, run_dir
from autocode.services.projects import add_log
from autocode.supervisor import identity, launch, policy
from autocode.supervisor.claude import TranscriptReader, find_transcript, project_dir_name
from autocode.supervisor.screen import Screen, ScreenState, read_screen

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0
START_TIMEOUT = 90.0
SAME_ERROR_LIMIT = 3
CRASH_LIMIT = 3
FALLBACK_IDLE_SECONDS = 3.0


def strip_side_panel(text: str) -> str:
    """Cut off the panel Claude Code draws on the right of wide terminals (a `│` column)."""
    lines = text.split("\n")
    counts: dict[int, int] = {}
    for line in lines:
        for i, ch in enumerate(line):
            if ch == "│" and i >= 40:
                counts[i] = counts.get(i, 0) + 1
    if not counts:
        return text
    column, hits = max(counts.items(), key=lambda kv: kv[1])
    filled = sum(1 for line in lines if line.strip())
    if hits < max(5, int(filled * 0.6)):
        return text
    return "\n".join(line[:column].rstrip() if len(line) > column and line[column] == "│" else line
                     for line in lines)


class Stopped(Exception):
    """The server asked this supervisor to finish (SIGTERM)."""


class ClaudeGone(Exception):
    """Claude Code's pane died or the CLI exited."""


class Paused(Exception):
    """The project must pause (budget reached); the reason is the message."""


@dataclass
class Turn:
    """One prompt and what came back, persisted so a restarted supervisor can pick it up."""

    kind: str  # "step" or "plan" or "reply"
    index: int
    sent_at: float
    busy_seen: bool = False
    stop_seen: bool = False
    texts: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class TurnResult:
    ok: bool
    error: str | None
    texts: list[str]


@dataclass
class Persisted:
    hooks_offset: int = 0
    inbox_offset: int = 0
    transcript: str | None = None
    transcript_offset: int = 0
    turn: Turn | None = None


class Supervisor:
    """Drives Claude Code through one project's plan, writing logs and state to the database."""

    def __init__(self, *, settings: Settings, engine: Engine, keys: Keys, runtime: Runtime, instance_id: int) -> None:
        self.settings = settings
        self.engine = engine
        self.keys = keys
        self.runtime = runtime
        self.instance_id = instance_id
        self.stopping = False
        with Session(engine, expire_on_commit=False) as s:
            instance = s.get(AgentInstance, instance_id)
            if instance is None:
                raise SystemExit(f"no agent instance {instance_id}")
            project = s.get(Project, instance.project_id)
            assert project is not None and project.id is not None
            agent = s.get(Agent, project.agent_id)
            user = s.get(User, project.user_id)
            assert agent is not None and user is not None
        self.instance = instance
        self.project: Project = project
        self.project_id: int = project.id
        self.agent = agent
        self.user = user
        self.run_dir = run_dir(settings.data_path, self.project_id)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.workspace = Path(project.workspace_path)
        self.target = f"{project.tmux_session}:{sessions.AGENT_WINDOW}"
        self.state = self._load_state()
        self.reader: TranscriptReader | None = None
        self.config_dir = launch.config_dir(settings.data_path, user.username)
        self._last_beat = 0.0
        self._screen = Screen(ScreenState.UNKNOWN)
        self._screen_text = ""
        self._last_change = time.monotonic()
        self._retry_logged: tuple[int | None, int | None] = (None, None)
        self._logged_calls: set[str] = set()

    # -- persistence ------------------------------------------------------------------------

    def _state_path(self) -> Path:
        return self.run_dir / "state.json"

    def _load_state(self) -> Persisted:
        try:
            raw = json.loads(self._state_path().read_text())
        except (OSError, ValueError):
            hooks = self.run_dir / "hooks.jsonl"
            inbox = self.run_dir / "inbox.jsonl"
            # A fresh start ignores what earlier runs left behind.
            return Persisted(
                hooks_offset=hooks.stat().st_size if hooks.exists() else 0,
                inbox_offset=inbox.stat().st_size if inbox.exists() else 0,
            )
        turn = raw.get("turn")
        return Persisted(
            hooks_offset=int(raw.get("hooks_offset", 0)),
            inbox_offset=int(raw.get("inbox_offset", 0)),
            transcript=raw.get("transcript"),
            transcript_offset=int(raw.get("transcript_offset", 0)),
            turn=Turn(**turn) if isinstance(turn, dict) else None,
        )

    def _save_state(self) -> None:
        if self.reader is not None:
            self.state.transcript = str(self.reader.path)
            self.state.transcript_offset = self.reader.offset
        data = asdict(self.state)
        tmp = self._state_path().with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(self._state_path())

    # -- database ---------------------------------------------------------------------------

    def log(self, level: LogLevel, message: str, data: dict[str, Any] | None = None) -> None:
        with Session(self.engine) as s:
            add_log(s, project_id=self.project_id, level=level, message=message, data=data,
                    instance_id=self.instance_id)

    def update_project(self, **changes: Any) -> Project:
        with Session(self.engine, expire_on_commit=False) as s:
            project = s.get(Project, self.project_id)
            assert project is not None
            for key, value in changes.items():
                setattr(project, key, value)
            project.updated_at = utcnow()
            project.last_activity_at = project.updated_at
            s.add(project)
            s.commit()
            s.refresh(project)
            self.project = project
            return project

    def reload_project(self) -> Project:
        with Session(self.engine, expire_on_commit=False) as s:
            project = s.get(Project, self.project_id)
            assert project is not None
            self.project = project
            return project

    def set_step(self, index: int, status: StepStatus, **extra: Any) -> None:
        plan = [dict(s) for s in self.reload_project().implementation_plan]
        plan[index] = {**plan[index], "status": status.value, **extra}
        self.update_project(implementation_plan=plan)

    def set_instance(self, **changes: Any) -> None:
        with Session(self.engine) as s:
            instance = s.get(AgentInstance, self.instance_id)
            if instance is None:
                return
            for key, value in changes.items():
                setattr(instance, key, value)
            s.add(instance)
            s.commit()

    def heartbeat(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_beat >= HEARTBEAT_SECONDS:
            self._last_beat = now
            self.set_instance(heartbeat_at=utcnow())

    # -- observing ---------------------------------------------------------------------------

    def _read_jsonl(self, path: Path, offset: int) -> tuple[list[dict[str, Any]], int]:
        try:
            with path.open("rb") as fh:
                fh.seek(offset)
                data = fh.read()
        except FileNotFoundError:
            return [], offset
        end = data.rfind(b"\n")
        if end < 0:
            return [], offset
        out: list[dict[str, Any]] = []
        for line in data[: end + 1].splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict):
                out.append(item)
        return out, offset + end + 1

    def _transcript_reader(self) -> TranscriptReader | None:
        """The reader of Claude Code's transcript: from saved state, else by session id."""
        if self.reader is not None:
            return self.reader
        if self.state.transcript and Path(self.state.transcript).exists():
            self.reader = TranscriptReader(Path(self.state.transcript), offset=self.state.transcript_offset)
        elif self.project.claude_session_id:
            path = find_transcript(self.config_dir, self.project.claude_session_id)
            if path is not None:
                self.reader = TranscriptReader(path)
        return self.reader

    def _follow_transcript(self, path_text: str) -> None:
        """Hooks name the transcript Claude Code writes now (a resumed session may start a new file)."""
        path = Path(path_text)
        if self.reader is not None and self.reader.path == path:
            return
        seen = self.reader.seen_message_ids if self.reader is not None else set()
        self.reader = TranscriptReader(path)
        self.reader.seen_message_ids = set(seen)

    def tick(self) -> Screen:
        """One look at everything: hooks, transcript, screen; logs and state follow."""
        if self.stopping:
            raise Stopped()
        self.heartbeat()
        events, self.state.hooks_offset = self._read_jsonl(self.run_dir / "hooks.jsonl", self.state.hooks_offset)
        turn = self.state.turn
        for event in events:
            name = str(event.get("hook_event_name", ""))
            self._last_change = time.monotonic()
            sid = event.get("session_id")
            if name == "SessionStart" and isinstance(sid, str) and sid != self.project.claude_session_id:
                self.update_project(claude_session_id=sid)  # a resumed session may get a new id
            if isinstance(event.get("transcript_path"), str) and sid == self.project.claude_session_id:
                self._follow_transcript(event["transcript_path"])
            if turn is not None and float(event.get("received_at", 0)) >= turn.sent_at - 1:
                if name in ("UserPromptSubmit", "PreToolUse", "PostToolUse"):
                    turn.busy_seen = True
                elif name == "Stop":
                    turn.stop_seen = True
        reader = self._transcript_reader()
        if reader is not None:
            update = reader.read()
            if update:
                self._last_change = time.monotonic()
            for call in update.tool_calls:
                if call.tool_use_id in self._logged_calls:
                    continue
                self._logged_calls.add(call.tool_use_id)
                label = f"{call.tool} {call.target}" if call.target else call.tool
                self.log(LogLevel.ACTION, label[:500], {"tool": call.tool, "target": call.target})
            for err in update.api_errors:
                self.log(LogLevel.ERROR, f"Claude Code: {err[:500]}")
                if turn is not None:
                    turn.errors.append(err)
            if turn is not None:
                turn.texts.extend(update.assistant_texts)
            if update.usage.input_tokens or update.usage.output_tokens:
                project = self.reload_project()
                self.update_project(
                    input_tokens=project.input_tokens + update.usage.input_tokens
                    + update.usage.cache_read_input_tokens + update.usage.cache_creation_input_tokens,
                    output_tokens=project.output_tokens + update.usage.output_tokens,
                )
                self._check_budget()
        self._observe_screen()
        self._save_state()
        return self._screen

    def _observe_screen(self) -> None:
        try:
            info = self.runtime.pane_info(self.user.username, self.target)
            text = self.runtime.capture(self.user.username, self.target)
        except RuntimeErrorBase:
            screen = Screen(ScreenState.EXITED)
            text = ""
        else:
            screen = Screen(ScreenState.EXITED) if info.dead else read_screen(strip_side_panel(text))
        if text != self._screen_text:
            self._screen_text = text
            self._last_change = time.monotonic()
        if screen.state != self._screen.state:
            self.update_project(screen_state=screen.state.value)
        self._screen = screen

    def _check_budget(self) -> None:
        budget = self.project.budget_tokens
        used = self.project.input_tokens + self.project.output_tokens
        if budget is not None and used >= budget:
            raise Paused(f"Token budget reached ({used} of {budget} tokens)")

    def sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.stopping:
                raise Stopped()
            self.heartbeat()
            time.sleep(min(self.settings.supervisor_tick_seconds, max(0.0, deadline - time.monotonic())))

    def wait_for(self, states: set[ScreenState], timeout: float) -> Screen:
        """Tick until the screen is in one of `states`, answering start-up dialogs."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.tick()
            if screen.state in states:
                return screen
            if screen.state == ScreenState.EXITED and ScreenState.EXITED not in states:
                raise ClaudeGone("Claude Code exited")
            if screen.state in (ScreenState.TRUST_DIALOG, ScreenState.KEY_DIALOG, ScreenState.BYPASS_DIALOG):
                self._answer_dialog(screen)
            if time.monotonic() >= deadline:
                raise ClaudeGone(f"Claude Code did not reach {sorted(s.value for s in states)} in {timeout:.0f}s "
                                 f"(screen: {screen.state.value})")
            time.sleep(self.settings.supervisor_tick_seconds)

    def _answer_dialog(self, screen: Screen) -> None:
        yes = next((i for i, o in enumerate(screen.options) if o.lower().startswith("yes")), None)
        if yes is None:
            return
        self.log(LogLevel.AGENT_DECISION, f"Answered Claude Code's {screen.state.value.replace('_', ' ')}: "
                 f"{screen.options[yes]}", {"reason": "the workspace and key were set up by AutoCode"})
        self.runtime.send_keys(self.user.username, self.target, str(yes + 1))
        self.sleep(0.5)

    # -- Claude Code ---------------------------------------------------------------------------

    def ensure_claude(self, *, resume: bool) -> None:
        """Run Claude Code in the agent window (reusing one that is alive) and wait for its prompt."""
        sessions.ensure_session(self.runtime, user=self.user, project=self.project)
        username = self.user.username
        if self.runtime.has_window(username, self.project.tmux_session, sessions.AGENT_WINDOW):
            if not self.runtime.pane_info(username, self.target).dead:
                self.log(LogLevel.INFO, "Claude Code is already running; watching it")
                return
            self.runtime.kill_window(username, self.target)
        credential = None
        with Session(self.engine) as s:
            assert self.user.id is not None
            for provider in CLAUDE_PROVIDERS:
                credential = key_service.credential(s, keys=self.keys, user_id=self.user.id, provider=provider)
                if credential is not None:
                    break
        if credential is None:
            raise Paused("No Anthropic key or Claude subscription token; add one in Settings")
        resume_id = self.project.claude_session_id if resume else None
        plan = launch.prepare(
            settings=self.settings, user=self.user, agent=self.agent, project=self.project,
            credential=credential, run_dir=self.run_dir, resume_session_id=resume_id,
        )
        self.runtime.new_window(username, self.project.tmux_session, window=sessions.AGENT_WINDOW,
                                command=plan.argv, cwd=plan.cwd, env=plan.env)
        self.update_project(claude_session_id=plan.session_id)
        self.reader = None
        if not resume:
            self.state.transcript = None
            self.state.transcript_offset = 0
        self.log(LogLevel.INFO, "Claude Code resumed its conversation" if plan.resumed else "Claude Code started",
                 {"session_id": plan.session_id, "policy": self.agent.permission_policy})
        self.wait_for({ScreenState.IDLE, ScreenState.ERROR}, START_TIMEOUT)

    def send_prompt(self, text: str, *, kind: str, index: int) -> None:
        """Type a prompt into Claude Code (paste for several lines) and press Enter separately."""
        screen = self.wait_for({ScreenState.IDLE, ScreenState.ERROR}, START_TIMEOUT)
        username = self.user.username
        if screen.input_text:
            self.runtime.send_keys(username, self.target, "C-u")
        self.state.turn = Turn(kind=kind, index=index, sent_at=time.time())
        self._save_state()
        if "\n" in text:
            self.runtime.paste(username, self.target, text)
        else:
            self.runtime.send_text(username, self.target, text)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not self.tick().input_text:
            time.sleep(0.05)
        for _attempt in range(3):
            self.runtime.send_keys(username, self.target, "Enter")
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                screen = self.tick()
                turn = self.state.turn
                if turn.busy_seen or turn.stop_seen or screen.state in (
                    ScreenState.BUSY, ScreenState.PERMISSION, ScreenState.RETRYING
                ):
                    turn.busy_seen = True
                    return
                if screen.state == ScreenState.IDLE and not screen.input_text and screen.turn_finished:
                    return
                time.sleep(0.05)
        raise ClaudeGone("Claude Code did not take the prompt")

    def wait_turn(self) -> TurnResult:
        """Watch the current turn until it ends, answering permission questions on the way."""
        turn = self.state.turn
        assert turn is not None
        idle_since: float | None = None
        self._last_change = time.monotonic()
        while True:
            screen = self.tick()
            now = time.monotonic()
            if screen.state == ScreenState.EXITED:
                raise ClaudeGone("Claude Code exited during the turn")
            if screen.state == ScreenState.PERMISSION:
                self.answer_permission(screen)
                idle_since = None
                continue
            if screen.state in (ScreenState.BUSY, ScreenState.RETRYING):
                turn.busy_seen = True
                idle_since = None
                if screen.state == ScreenState.RETRYING:
                    key = (screen.attempt, screen.max_attempts)
                    if key != self._retry_logged:
                        self._retry_logged = key
                        self.log(LogLevel.ERROR, f"API error; Claude Code retries (attempt {screen.attempt}/"
                                 f"{screen.max_attempts})", {"error": screen.error})
                if now - self._last_change > self.settings.stall_seconds:
                    return self._stalled()
            elif screen.state in (ScreenState.IDLE, ScreenState.ERROR):
                idle_since = idle_since or now
                error = screen.error if screen.state == ScreenState.ERROR else None
                if turn.stop_seen or (turn.busy_seen and now - idle_since >= FALLBACK_IDLE_SECONDS) or (
                    screen.turn_finished and now - idle_since >= FALLBACK_IDLE_SECONDS
                ):
                    if error is None and turn.errors and not turn.texts:
                        error = turn.errors[-1]
                    return self._end_turn(TurnResult(ok=error is None, error=error, texts=list(turn.texts)))
                if now - turn.sent_at > self.settings.stall_seconds + 30 and not turn.busy_seen:
                    return self._end_turn(TurnResult(ok=False, error="Claude Code never started the turn", texts=[]))
            elif screen.state in (ScreenState.TRUST_DIALOG, ScreenState.KEY_DIALOG, ScreenState.BYPASS_DIALOG):
                self._answer_dialog(screen)
            time.sleep(self.settings.supervisor_tick_seconds)

    def _end_turn(self, result: TurnResult) -> TurnResult:
        self.state.turn = None
        self._save_state()
        return result

    def _stalled(self) -> TurnResult:
        self.log(LogLevel.AGENT_DECISION, f"No output for {self.settings.stall_seconds:.0f}s while busy; "
                 "interrupting Claude Code", {"reason": "stall"})
        self.runtime.send_keys(self.user.username, self.target, "Escape")
        self.wait_for({ScreenState.IDLE, ScreenState.ERROR}, 30)
        return self._end_turn(TurnResult(ok=False, error="stalled: no output for too long", texts=[]))

    # -- permissions and humans ------------------------------------------------------------------

    def answer_permission(self, screen: Screen) -> None:
        decision = policy.decide(screen, policy=self.agent.permission_policy, workspace=self.workspace)
        question = " ".join(x for x in (screen.question, screen.target) if x)
        if decision.approve:
            self.log(LogLevel.AGENT_DECISION, f"Approved: {question}", {"reason": decision.reason})
            self._press_menu_key("1")
            return
        self.log(LogLevel.AGENT_DECISION, f"Escalated to you: {question}", {"reason": decision.reason})
        reply = self.need_help(f"Claude Code asks: {question}", waiting_on_permission=True)
        if reply is None:
            return  # answered in the terminal
        key, text = policy.reply_keys(reply)
        if key is not None:
            self._press_menu_key(key)
        if text:
            self.wait_for({ScreenState.IDLE, ScreenState.ERROR}, 60)
            turn = self.state.turn
            self.send_prompt(text, kind="reply", index=turn.index if turn else -1)

    def _press_menu_key(self, key: str) -> None:
        """Press a menu key once the menu has settled; press again if it was not taken."""
        settled = self._screen_text
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:  # a menu drawn a moment ago may not take keys yet
            time.sleep(0.1)
            if self.tick().state != ScreenState.PERMISSION:
                return
            if self._screen_text == settled:
                break
            settled = self._screen_text
        for _attempt in range(3):
            self.runtime.send_keys(self.user.username, self.target, key)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                if self.tick().state != ScreenState.PERMISSION:
                    return
                time.sleep(0.05)

    def need_help(self, question: str, *, waiting_on_permission: bool = False) -> str | None:
        """Set `needs_help` once and wait for a reply (or, for a prompt, the user's own answer)."""
        previous = self.reload_project().status
        self.update_project(status=ProjectStatus.NEEDS_HELP.value, status_reason=question[:1000])
        self.log(LogLevel.ERROR, f"Needs help: {question}"[:2000],
                 {"needs_help": True, "question": question, "state": {"status": "needs_help"}})
        try:
            while True:
                screen = self.tick()
                messages, self.state.inbox_offset = self._read_jsonl(self.run_dir / "inbox.jsonl",
                                                                     self.state.inbox_offset)
                self._save_state()
                for message in messages:
                    text = str(message.get("text", "")).strip()
                    if text:
                        self.log(LogLevel.AGENT_DECISION, "Going on with your reply", {"reply": text[:500]})
                        return text
                if waiting_on_permission and screen.state not in (ScreenState.PERMISSION, ScreenState.UNKNOWN):
                    self.log(LogLevel.AGENT_DECISION, "You answered in the terminal; going on")
                    return None
                time.sleep(self.settings.supervisor_tick_seconds)
        finally:
            if not self.stopping:
                back = previous if previous != ProjectStatus.NEEDS_HELP.value else ProjectStatus.RUNNING.value
                self.update_project(status=back, status_reason=None)

    # -- the plan ------------------------------------------------------------------------------

    def make_plan(self) -> None:
        self.update_project(status=ProjectStatus.PLANNING.value)
        self.log(LogLevel.INFO, "Asking Claude Code for a plan")
        for attempt in range(3):
            turn = self.state.turn
            if turn is None or turn.kind != "plan":
                self.send_prompt(identity.planning_prompt(self.project), kind="plan", index=0)
            result = self.wait_turn()
            steps = identity.parse_plan("\n".join(result.texts))
            if steps:
                self.update_project(implementation_plan=steps, current_step=0, status=ProjectStatus.RUNNING.value)
                self.log(LogLevel.AGENT_DECISION, f"Plan written: {len(steps)} steps",
                         {"plan": [s["title"] for s in steps], "state": {"status": "running"}})
                self._append_history(f"Plan: {len(steps)} steps: " + "; ".join(s["title"] for s in steps))
                return
            self.log(LogLevel.ERROR, f"No numbered plan in Claude Code's answer (attempt {attempt + 1}/3)",
                     {"error": result.error})
        reply = self.need_help("Claude Code did not produce a plan. Write the plan in the project page, "
                               "or reply with the steps as a numbered list.")
        steps = identity.parse_plan(reply or "")
        if not steps:
            raise Paused("No plan: add steps to the project and start it again")
        self.update_project(implementation_plan=steps, current_step=0, status=ProjectStatus.RUNNING.value)

    def run_step(self, index: int) -> None:
        project = self.reload_project()
        step = project.implementation_plan[index]
        title = str(step.get("title", ""))
        n = index + 1
        if step.get("status") != StepStatus.RUNNING.value:
            self.set_step(index, StepStatus.RUNNING)
            self.update_project(current_step=index, status=ProjectStatus.RUNNING.value)
            self.log(LogLevel.INFO, f"Step {n} started: {title}", {"step": n, "state": {"current_step": index}})
        else:
            self.update_project(current_step=index)
        errors: list[str] = []
        crashes = 0
        note: str | None = None
        while True:
            try:
                turn = self.state.turn
                if turn is None or turn.kind not in ("step", "reply") or turn.index != index:
                    summaries = [str(s.get("summary", "")) for s in self.project.implementation_plan[:index]]
                    prompt = identity.step_prompt(self.project, index, summaries=summaries, note=note)
                    self.send_prompt(prompt, kind="step", index=index)
                result = self.wait_turn()
            except ClaudeGone as exc:
                crashes += 1
                self.log(LogLevel.ERROR, f"Claude Code stopped during step {n}: {exc}", {"crashes": crashes})
                self.state.turn = None
                if crashes > CRASH_LIMIT:
                    reply = self.need_help(f"Claude Code keeps exiting during step {n}: {exc}")
                    note = f"The human says: {reply}" if reply else None
                    crashes = 0
                self.ensure_claude(resume=True)
                note = note or "Claude Code was restarted; continue this step where it stopped."
                continue
            if result.ok:
                break
            error = result.error or "unknown error"
            errors.append(error)
            same = sum(1 for e in errors if e == error)
            if same >= SAME_ERROR_LIMIT:
                reply = self.need_help(f"Step {n} failed {same} times with the same error: {error}")
                errors.clear()
                note = f"The human says: {reply}" if reply else "Try again."
                continue
            delay = min(self.settings.retry_backoff_max_seconds, 5.0 * 2 ** (len(errors) - 1))
            self.log(LogLevel.AGENT_DECISION, f"Step {n} ended with an error; retrying in {delay:.0f}s",
                     {"error": error, "attempt": len(errors)})
            self.sleep(delay)
            note = f"The previous attempt ended with this error: {error}. Continue the step."
        summary = (result.texts[-1] if result.texts else "").strip().replace("\n", " ")[:300]
        commit = checkpoints.commit_step(self.workspace, step=n, title=title)
        self.set_step(index, StepStatus.DONE, summary=summary)
        self.update_project(current_step=min(index + 1, len(self.project.implementation_plan)))
        self.log(LogLevel.INFO, f"Step {n} done: {title}",
                 {"step": n, "commit": commit, "summary": summary, "state": {"step": n, "status": "done"}})
        self._append_history(f"Step {n} done: {title}. {summary}")

    def _append_history(self, line: str) -> None:
        path = self.workspace / ".nanobot" / "HISTORY.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as fh:
            fh.write(f"- {utcnow().isoformat(timespec='seconds')} {line}\n")

    # -- the whole run ---------------------------------------------------------------------------

    def _on_sigterm(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_sigterm)
        self.set_instance(status=InstanceStatus.RUNNING.value, pid=os.getpid(), heartbeat_at=utcnow())
        adopted = self.state.turn is not None
        try:
            self.ensure_claude(resume=self.project.claude_session_id is not None and adopted)
            if not self.project.implementation_plan:
                self.make_plan()
            while True:
                plan = self.reload_project().implementation_plan
                pending = [i for i, s in enumerate(plan) if s.get("status") in ("pending", "running", "failed")]
                if not pending:
                    break
                self.run_step(pending[0])
            self.update_project(status=ProjectStatus.COMPLETED.value, status_reason=None,
                                current_step=len(self.project.implementation_plan))
            self.log(LogLevel.INFO, f"All {len(self.project.implementation_plan)} steps are done",
                     {"state": {"status": "completed"}})
            self._finish(InstanceStatus.EXITED, "completed")
            return 0
        except Stopped:
            self._save_state()
            self._finish(InstanceStatus.STOPPED, "stopped by the server")
            return 0
        except Paused as exc:
            self.update_project(status=ProjectStatus.PAUSED.value, status_reason=str(exc))
            self.log(LogLevel.AGENT_DECISION, f"Paused: {exc}", {"state": {"status": "paused"}})
            self._finish(InstanceStatus.EXITED, str(exc))
            return 0

    def _finish(self, status: InstanceStatus, reason: str) -> None:
        self.set_instance(status=status.value, ended_at=utcnow(), exit_reason=reason)
        self.state.turn = None
        self._save_state()
