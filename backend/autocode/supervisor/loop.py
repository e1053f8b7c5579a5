"""The control loop of one project: plan, then send each step, watch, evaluate, checkpoint."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from types import FrameType
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlmodel import Session

from autocode.core.config import Settings
from autocode.core.files import FileError, Tree, write_own
from autocode.core.jsonl import read_new_lines, read_new_objects
from autocode.core.layout import (
    CLAUDE_CONFIG,
    INBOX_FILE,
    INSTRUCTIONS_FILE,
    STATE_FILE,
    Layout,
    hooks_file,
    project_rel,
)
from autocode.hook import unseal
from autocode.models import (
    Agent,
    AgentInstance,
    InstanceStatus,
    LogLevel,
    Project,
    ProjectStatus,
    Question,
    QuestionKind,
    ReasonKind,
    StepStatus,
    User,
    utcnow,
)
from autocode.runtime import Runtime
from autocode.runtime.base import RuntimeErrorBase
from autocode.services import sessions, workspaces
from autocode.services.projects import add_log
from autocode.supervisor import identity, launch, mcp, policy, rules, usage_limit
from autocode.supervisor.boot import Credentials
from autocode.supervisor.claude.records import ToolCall
from autocode.supervisor.claude.transcript import TranscriptReader, find_transcript, transcript_rel
from autocode.supervisor.policy import reply_text
from autocode.supervisor.rules import CRASH_LIMIT, FOLLOW_UP_LIMIT, SAME_ERROR_LIMIT, STALLED
from autocode.supervisor.screen import DIALOG_ACCEPT, Screen, ScreenState, read_screen
from autocode.supervisor.shown_paths import hide_paths, hide_paths_in
from autocode.supervisor.turn import PROMPT_LOST, Look, Progress, advance
from autocode.supervisor.wakeup import Wakeup

if TYPE_CHECKING:
    # Loaded on first need: the decision model (nanobot) and git (dulwich) weigh tens of MB.
    from autocode.services import checkpoints
    from autocode.supervisor.brain import Brain

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0  # a DB write (~1 ms); the server's reaper kills a supervisor silent for 90 s
# While a human is asked nothing else happens: a beat is a commit here and a wake-up of the
# server's event pump, so fifty waiting projects would keep both busy at the working rate.
ASKING_HEARTBEAT_SECONDS = 15.0
START_TIMEOUT = 90.0
BRAIN_COOLDOWN = 120.0
# When the screen is read (capture-pane): on demand; after an event, at once and then every
# tick for HOT_SECONDS; every END_LOOK once the Stop hook came until the prompt is back; every
# BUSY_LOOK while a turn runs; while a human is asked, once per event and otherwise only
# whether the pane still lives, every ALIVE_LOOK (hook events and transcript lines say when
# anything moves).
HOT_SECONDS = 1.0
END_LOOK = 0.05
BUSY_LOOK = 1.0
ALIVE_LOOK = 15.0


_SPINNER_LINE = re.compile(r"^\s*[·✢✳✶✻✽*]\s")


def _fingerprint(text: str) -> str:
    """The screen without what moves while nothing happens (spinner, timers, token counts)."""
    lines = [ln for ln in text.split("\n") if not _SPINNER_LINE.match(ln) and "esc to interrupt" not in ln]
    return re.sub(r"\d+", "#", "\n".join(lines))


class Stopped(Exception):
    """The server asked this supervisor to finish (SIGTERM)."""


class ClaudeGone(Exception):
    """Claude Code's pane died or the CLI exited."""


class Paused(Exception):
    """The project must pause (budget reached); the reason is the message, its kind what the
    UI offers as the fix (see services/status_rules.py)."""

    def __init__(self, message: str, *, kind: ReasonKind) -> None:
        super().__init__(message)
        self.kind: ReasonKind = kind


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
    actions: list[str] = field(default_factory=list)


@dataclass
class TurnResult:
    ok: bool
    error: str | None
    texts: list[str]
    actions: list[str] = field(default_factory=list)
    context_tokens: int = 0


@dataclass
class Persisted:
    hooks_offset: int = 0
    inbox_offset: int = 0
    transcript: str | None = None
    transcript_offset: int = 0
    turn: Turn | None = None
    hook_key: str | None = None  # the running Claude Code's key (a restarted supervisor adopts it)
    instructions_offset: int = 0  # how far the human's queued instructions were delivered


class Supervisor:
    """Drives Claude Code through one project's plan, writing logs and state to the database."""

    def __init__(
        self, *, settings: Settings, engine: Engine, credentials: Credentials, runtime: Runtime, instance_id: int
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.credentials = credentials  # only this project's, handed over by the server at start
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
        self.run_dir = Layout.at(settings.data_path).run_dir(self.project_id)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        layout = Layout.at(settings.data_path)
        # Hook events and the transcript are in the user's tree: read only through core.files.
        self.tree = Tree(layout.user_dir(user.username))
        self.hooks_rel = hooks_file(self.project_id)
        self.seen_config = launch.seen_path(runtime, layout, user.username, CLAUDE_CONFIG)
        self._seen_macs: set[bytes] = set()
        self._old_hook_keys: list[bytes] = []  # earlier launches': their late lines are dropped quietly
        self._warned: set[str] = set()
        self.workspace = layout.host_path(user.username, project_rel(project.slug))
        self._checkpoints: checkpoints.Workspace | None = None
        self.target = f"{project.tmux_session}:{sessions.AGENT_WINDOW}"
        self._path_roots: list[tuple[str, str]] | None = None
        self.state = self._load_state()
        self.reader: TranscriptReader | None = None
        # Sleeping until something happens: hook events, the transcript, replies, SIGTERM.
        self.wakeup = Wakeup()
        self.wakeup.watch_tree("hooks", self.tree, self.hooks_rel.parent, frozenset({self.hooks_rel.name}))
        self.wakeup.watch_host("inbox", self.run_dir, frozenset({INBOX_FILE, INSTRUCTIONS_FILE}))
        self._transcript_dir: PurePosixPath | None = None
        self._dirty: set[str] = {"hooks", "transcript", "inbox"}  # read once at start
        self._look_at = 0.0  # when the screen is read next (monotonic)
        self._hot_until = 0.0  # after an event, the screen is read often until then
        self._asking_human = False
        self._saved = ""
        self._last_beat = 0.0
        self._screen = Screen(ScreenState.UNKNOWN)
        self._screen_text = ""
        self._screen_print = ""
        self._brain: Brain | None = None
        self._brain_failed = False
        self._brain_retry_at = 0.0
        self._last_change = time.monotonic()
        self._retry_logged: tuple[int | None, int | None] = (None, None)
        self._logged_calls: set[str] = set()
        self._logged_results: set[str] = set()
        self._call_tools: dict[str, str] = {}  # tool_use_id -> tool name, to label results
        self._step_index: int | None = None  # the step run_step works on
        self._declined: list[str] = []  # questions of this step you said no to
        self._limit_reset: datetime | None = None  # a usage limit's reset, from the transcript

    # -- persistence ------------------------------------------------------------------------

    def _state_path(self) -> Path:
        return self.run_dir / STATE_FILE

    def _load_state(self) -> Persisted:
        try:
            raw = json.loads(self._state_path().read_text())
        except (OSError, ValueError):
            inbox = self.run_dir / INBOX_FILE
            instructions = self.run_dir / INSTRUCTIONS_FILE
            try:
                hooks = self.tree.lstat(self.hooks_rel)
            except FileError:
                hooks = None
            # A fresh start ignores what earlier runs left behind.
            return Persisted(
                hooks_offset=hooks.st_size if hooks is not None else 0,
                inbox_offset=inbox.stat().st_size if inbox.exists() else 0,
                instructions_offset=instructions.stat().st_size if instructions.exists() else 0,
            )
        turn = raw.get("turn")
        return Persisted(
            hooks_offset=int(raw.get("hooks_offset", 0)),
            inbox_offset=int(raw.get("inbox_offset", 0)),
            transcript=raw.get("transcript"),
            transcript_offset=int(raw.get("transcript_offset", 0)),
            turn=Turn(**turn) if isinstance(turn, dict) else None,
            hook_key=raw.get("hook_key") if isinstance(raw.get("hook_key"), str) else None,
            instructions_offset=int(raw.get("instructions_offset", 0)),
        )

    def _save_state(self) -> None:
        if self.reader is not None:
            self.state.transcript = str(self.reader.rel)
            self.state.transcript_offset = self.reader.offset
        text = json.dumps(asdict(self.state))
        if text == self._saved:
            return
        write_own(self._state_path(), text)  # 0600: it holds the hook key of the running Claude Code
        self._saved = text

    # -- database ---------------------------------------------------------------------------

    def shown_roots(self) -> list[tuple[str, str]]:
        """The server's paths a user must not see, with what stands for them (see shown_paths)."""
        if self._path_roots is None:
            roots = [(str(self.workspace), ""), (os.path.realpath(self.workspace), "")]
            try:
                roots.append((self.runtime.runtime_path(self.user.username, self.workspace), ""))
            except RuntimeErrorBase:
                pass
            data = self.settings.data_path
            roots += [(str(data), "…"), (os.path.realpath(data), "…")]
            self._path_roots = roots
        return self._path_roots

    def log(self, level: LogLevel, message: str, data: dict[str, Any] | None = None) -> None:
        roots = self.shown_roots()
        with Session(self.engine) as s:
            add_log(
                s,
                project_id=self.project_id,
                level=level,
                message=hide_paths(message, roots),
                data=hide_paths_in(data, roots),
                instance_id=self.instance_id,
            )

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

    def _beat_every(self) -> float:
        return ASKING_HEARTBEAT_SECONDS if self._asking_human else HEARTBEAT_SECONDS

    def heartbeat(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_beat >= self._beat_every():
            self._last_beat = now
            self.set_instance(heartbeat_at=utcnow())

    # -- observing ---------------------------------------------------------------------------

    def _read_jsonl(self, path: Path, offset: int) -> tuple[list[dict[str, Any]], int]:
        """New JSON lines of one of the server's own files (the inbox, the instructions)."""
        return read_new_objects(Tree(path.parent), PurePosixPath(path.name), offset)

    def _warn_once(self, kind: str, message: str, data: dict[str, Any] | None = None) -> None:
        """Tell the project's log, once per supervisor, that something in the tree was refused."""
        if kind in self._warned:
            return
        self._warned.add(kind)
        log.warning("refused from the user's tree", extra={"kind": kind, "project": self.project_id})
        self.log(LogLevel.ERROR, message, data)

    def _read_hooks(self) -> list[dict[str, Any]]:
        """Hook events appended since the last look, only those sealed with this launch's key.

        Anything else (a line written without the key, by another project, by an earlier
        launch, or a copy of a line already seen) is dropped, never acted on.
        """
        try:
            lines, self.state.hooks_offset = read_new_lines(self.tree, self.hooks_rel, self.state.hooks_offset)
        except FileError as exc:
            self._warn_once("hooks", f"Claude Code's hook events cannot be read: {exc.message}")
            return []
        key = (self.state.hook_key or "").encode()
        events: list[dict[str, Any]] = []
        for line in lines:
            body = unseal(line, key)
            mac = line.rstrip(b"\r\n")[-66:]
            if body is None and any(unseal(line, old) is not None for old in self._old_hook_keys):
                continue  # e.g. the SessionEnd of the Claude Code just replaced
            if body is None or mac in self._seen_macs:
                self._warn_once(
                    "unsealed",
                    "Ignored hook events that this Claude Code launch did not sign "
                    "(written by something else, or copied)",
                )
                continue
            if len(self._seen_macs) > 100_000:
                self._seen_macs.clear()  # the signed time still ties old lines to old turns
            self._seen_macs.add(mac)
            try:
                item = json.loads(body)
            except ValueError:
                continue
            if isinstance(item, dict):
                events.append(item)
        return events

    def _transcript_reader(self) -> TranscriptReader | None:
        """The reader of Claude Code's transcript: from saved state, else by session id."""
        if self.reader is not None:
            return self.reader
        saved = self.state.transcript
        # Saved as a path relative to the user's tree; anything else (an older absolute path) is
        # checked by the same rule as a path from a hook event.
        rel = transcript_rel(f"/{saved}", f"/{CLAUDE_CONFIG}", CLAUDE_CONFIG) if saved else None
        try:
            if rel is not None and self.tree.lstat(rel) is not None:
                self.reader = TranscriptReader(self.tree, rel, offset=self.state.transcript_offset)
            elif self.project.claude_session_id:
                found = find_transcript(self.tree, CLAUDE_CONFIG, self.project.claude_session_id)
                if found is not None:
                    self.reader = TranscriptReader(self.tree, found)
        except FileError:
            return None
        return self.reader

    def _follow_transcript(self, path_text: str) -> None:
        """Hooks name the transcript Claude Code writes now (a resumed session may start a new file).

        Only a transcript under the user's own Claude Code config dir, as Claude Code sees it,
        is followed: a path anywhere else (another user's transcript, a device) is refused.
        """
        rel = transcript_rel(path_text, self.seen_config, CLAUDE_CONFIG)
        if rel is None:
            self._warn_once(
                "transcript",
                "Ignored a transcript path outside your Claude Code config folder",
                {"path": path_text[:300]},
            )
            return
        old = self.reader
        if old is not None and old.rel == rel:
            return
        self.reader = TranscriptReader(self.tree, rel)
        if old is not None:
            self.reader.seen_message_ids = set(old.seen_message_ids)
            self.reader.seen_texts = set(old.seen_texts)

    def tick(self, *, look: bool = False) -> Screen:
        """One look at what changed: hooks, transcript, screen; logs and state follow.

        Files are read when their folder changed (or when they cannot be watched), the screen
        when ``look`` asks for it, after an event, and on the timer of ``_schedule_look``."""
        if self.stopping:
            raise Stopped()
        self.heartbeat()
        self._dirty |= self.wakeup.drain()
        now = time.monotonic()
        due = now >= self._look_at
        # While a turn runs, the timed look reads the files too: a safety net for a lost event.
        sweep = due and self.state.turn is not None and not self._asking_human
        events: list[dict[str, Any]] = []
        if sweep or "hooks" in self._dirty or not self.wakeup.watched("hooks"):
            self._dirty.discard("hooks")
            events = self._read_hooks()
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
                elif name in ("Stop", "StopFailure"):
                    turn.stop_seen = True
                    last_text = event.get("last_assistant_message")
                    has_text = isinstance(last_text, str) and last_text.strip() and last_text not in turn.texts
                    if name == "StopFailure":
                        # its last message is the error Claude Code shows (a usage limit's reset
                        # time is in it), not an answer
                        failure = last_text if has_text else event.get("error")
                        if failure:
                            turn.errors.append(str(failure)[:1000])
                    elif has_text:
                        # The transcript may be written a moment later: the hook's copy of the last
                        # answer makes sure the turn's final words are known when it ends.
                        turn.texts.append(str(last_text))
        reader = self.reader
        moved = bool(events)
        if sweep or events or "transcript" in self._dirty or not self.wakeup.watched("transcript"):
            self._dirty.discard("transcript")
            reader = self._transcript_reader()
            self._watch_transcript()
        else:
            reader = None
        if reader is not None:
            update = reader.read()
            if reader.refused is not None:
                self._warn_once("transcript-file", f"Claude Code's transcript cannot be read: {reader.refused}")
            if update:
                self._last_change = time.monotonic()
                moved = True
            calls = {call.tool_use_id: call for call in update.tool_calls}
            for item in update.activity:
                self._record_activity(item, calls, turn)
            for err in update.api_errors:
                if turn is not None:
                    turn.errors.append(err)
            if update.limit_resets:
                self._limit_reset = update.limit_resets[-1]
            if turn is not None:
                # the Stop hook may have delivered the last answer already; an error is no answer
                turn.texts.extend(
                    t for t in update.assistant_texts if t not in turn.texts and t not in update.api_errors
                )
            if update.usage.input_tokens or update.usage.output_tokens:
                project = self.reload_project()
                self.update_project(
                    input_tokens=project.input_tokens
                    + update.usage.input_tokens
                    + update.usage.cache_read_input_tokens
                    + update.usage.cache_creation_input_tokens,
                    output_tokens=project.output_tokens + update.usage.output_tokens,
                )
                self._check_budget()
        if moved:
            self._heat()
        if look or moved or due:
            self._observe_screen(capture=look or moved or not self._asking_human)
            self._schedule_look()
        self._save_state()
        return self._screen

    def _heat(self) -> None:
        """Something moved: read the screen often for a moment."""
        now = time.monotonic()
        if not self._asking_human:
            self._hot_until = now + HOT_SECONDS
        self._look_at = min(self._look_at, now)

    def _schedule_look(self) -> None:
        now = time.monotonic()
        turn = self.state.turn
        ending = turn is not None and turn.stop_seen and self._screen.state not in (ScreenState.IDLE, ScreenState.ERROR)
        if ending and now < self._hot_until:  # the prompt is due back any moment
            wait = END_LOOK
        elif now < self._hot_until:
            wait = self.settings.supervisor_tick_seconds
        elif self._asking_human:
            wait = ALIVE_LOOK
        elif turn is not None:
            wait = BUSY_LOOK
        else:
            wait = self.settings.supervisor_tick_seconds
        self._look_at = now + wait

    def _watch_transcript(self) -> None:
        """Watch the folder of the transcript being read (it moves with a new session)."""
        folder = self.reader.rel.parent if self.reader is not None else None
        if folder == self._transcript_dir:
            if folder is not None and not self.wakeup.watched("transcript"):
                self.wakeup.revalidate()  # Claude Code may have made the folder since
            return
        self._transcript_dir = folder
        if folder is None:
            self.wakeup.forget("transcript")
        else:
            self.wakeup.watch_tree("transcript", self.tree, folder)

    def _pause(self, most: float | None = None) -> None:
        """Sleep until something changes or a timer is due (screen look, heartbeat), at most ``most``."""
        if self.stopping:
            raise Stopped()
        now = time.monotonic()
        until = min(self._look_at, self._last_beat + self._beat_every())
        if most is not None:
            until = min(until, now + most)
        unwatched = not self.wakeup.watched("hooks") or (
            self.reader is not None and not self.wakeup.watched("transcript")
        )
        if unwatched:
            until = min(until, now + self.settings.supervisor_tick_seconds)  # polled as before
        self._dirty |= self.wakeup.wait(max(0.0, until - now))

    def _activity_step(self, turn: Turn | None) -> int | None:
        """The 1-based step an activity item belongs to (None while planning)."""
        if turn is not None and turn.kind == "plan":
            return None
        if turn is not None and turn.kind in ("step", "reply") and turn.index >= 0:
            return turn.index + 1
        return self.project.current_step + 1 if self.project.implementation_plan else None

    def _record_activity(self, item: dict[str, Any], calls: dict[str, ToolCall], turn: Turn | None) -> None:
        """One feed item from the transcript, as a log row (the Activity view reads these)."""
        kind = item.get("type")
        data: dict[str, Any] = {"activity": item, "step": self._activity_step(turn)}
        if kind in ("tool", "question") and item.get("id") in calls:
            call = calls[str(item["id"])]
            if call.tool_use_id in self._logged_calls:
                return
            self._logged_calls.add(call.tool_use_id)
            self._call_tools[call.tool_use_id] = call.tool
            label = f"{call.tool} {call.target}" if call.target else call.tool
            self.log(LogLevel.ACTION, label[:500], {"tool": call.tool, "target": call.target, **data})
            if turn is not None:
                turn.actions.append(label[:300])
        elif kind == "result":
            tool_use_id = str(item.get("id", ""))
            if tool_use_id in self._logged_results:
                return
            self._logged_results.add(tool_use_id)
            tool = self._call_tools.get(tool_use_id, "Tool")
            code = item.get("exit_code")
            outcome = "done" if item.get("ok") else "failed"
            if isinstance(code, int):
                outcome = f"exit {code}"
            if item.get("answer"):
                outcome = f"answered: {item['answer']}"
            self.log(LogLevel.ACTION, f"{tool} {outcome}"[:500], {"tool": tool, **data})
        elif kind == "message":
            self.log(LogLevel.INFO, f"Claude Code: {item.get('text', '')}"[:500], data)
        elif kind == "error":
            self.log(LogLevel.ERROR, f"Claude Code: {str(item.get('text', ''))[:500]}", data)

    def _observe_screen(self, *, capture: bool = True) -> None:
        """Read the screen; without ``capture`` only whether the pane still lives."""
        try:
            info = self.runtime.pane_info(self.user.username, self.target)
            text = self.runtime.capture(self.user.username, self.target) if capture and not info.dead else ""
        except RuntimeErrorBase:
            screen = Screen(ScreenState.EXITED)
            text = ""
        else:
            if info.dead:
                screen = Screen(ScreenState.EXITED)
            elif not capture:
                return
            else:
                screen = read_screen(text)
        if text != self._screen_text:
            self._screen_text = text
            print_ = _fingerprint(text)
            if print_ != self._screen_print:
                self._screen_print = print_
                self._last_change = time.monotonic()
        if screen.state != self._screen.state:
            self.update_project(screen_state=screen.state.value)
        self._screen = screen

    def _check_budget(self) -> None:
        budget = self.project.budget_tokens
        used = self.project.input_tokens + self.project.output_tokens
        if budget is not None and used >= budget:
            raise Paused(f"Token budget reached ({used} of {budget} tokens)", kind="budget")

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` doing nothing but heartbeats (what changes meanwhile is read later)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.stopping:
                raise Stopped()
            self.heartbeat()
            left = max(0.0, deadline - time.monotonic())
            self._dirty |= self.wakeup.wait(
                min(left, max(0.0, self._last_beat + self._beat_every() - time.monotonic()))
            )

    def wait_for(self, states: set[ScreenState], timeout: float) -> Screen:
        """Tick until the screen is in one of `states`, answering start-up dialogs."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.tick(look=True)
            if screen.state in states:
                return screen
            if screen.state == ScreenState.EXITED and ScreenState.EXITED not in states:
                raise ClaudeGone("Claude Code exited")
            if screen.state in (ScreenState.TRUST_DIALOG, ScreenState.KEY_DIALOG, ScreenState.BYPASS_DIALOG):
                self._answer_dialog(screen)
            if time.monotonic() >= deadline:
                raise ClaudeGone(
                    f"Claude Code did not reach {sorted(s.value for s in states)} in {timeout:.0f}s "
                    f"(screen: {screen.state.value})"
                )
            self._pause(self.settings.supervisor_tick_seconds)  # start-up dialogs come by timer

    def _answer_dialog(self, screen: Screen) -> None:
        """Accept a start-up dialog (trust, API key, bypass): arrow to the option, then Enter."""
        accept = DIALOG_ACCEPT.get(screen.state)
        if accept is None:
            return
        key, option = accept
        for _ in range(4):
            if self._screen.selected == option or self._screen.state != screen.state:
                break
            self.runtime.send_keys(self.user.username, self.target, key)
            self.sleep(0.2)
            self.tick(look=True)
        if self._screen.state != screen.state:
            return
        self.log(
            LogLevel.AGENT_DECISION,
            f"Answered Claude Code's {screen.state.value.replace('_', ' ')}: {option}",
            {"reason": "the workspace and key were set up by AutoCode"},
        )
        self.runtime.send_keys(self.user.username, self.target, "Enter")
        self.sleep(0.5)

    # -- Claude Code ---------------------------------------------------------------------------

    def ensure_claude(self, *, resume: bool) -> None:
        """Run Claude Code in the agent window (reusing one that is alive) and wait for its prompt."""
        sessions.ensure_session(self.runtime, user=self.user, project=self.project)
        username = self.user.username
        if self.runtime.has_window(username, self.project.tmux_session, sessions.AGENT_WINDOW):
            alive = not self.runtime.pane_info(username, self.target).dead
            if alive and self.state.hook_key:
                self.log(LogLevel.INFO, "Claude Code is already running; watching it")
                return
            if alive:
                # Started before its hook key was known here: its events could not be told from
                # forgeries, so it starts again (continuing its conversation).
                self.log(
                    LogLevel.INFO, "Claude Code was running without a hook key this supervisor knows; restarting it"
                )
                resume = resume or self.project.claude_session_id is not None
            self.runtime.kill_window(username, self.target)
        credential = self.credentials.claude
        if credential is None:
            raise Paused("No Anthropic key or Claude subscription token; add one in Settings", kind="no_key")
        resume_id = self.project.claude_session_id if resume else None
        try:
            plan = launch.prepare(
                settings=self.settings,
                runtime=self.runtime,
                user=self.user,
                agent=self.agent,
                project=self.project,
                credential=credential,
                resume_session_id=resume_id,
            )
        except FileError as exc:
            raise Paused(f"Cannot prepare Claude Code's folders: {exc.message}", kind="setup") from None
        # From now on only lines sealed with this launch's key count.
        if self.state.hook_key:
            self._old_hook_keys = [self.state.hook_key.encode(), *self._old_hook_keys][:3]
        self.state.hook_key = plan.hook_key
        self._seen_macs.clear()
        self._save_state()
        self.runtime.new_window(
            username,
            self.project.tmux_session,
            window=sessions.AGENT_WINDOW,
            command=plan.argv,
            cwd=plan.cwd,
            env=plan.env,
        )
        self.update_project(claude_session_id=plan.session_id)
        self.reader = None
        if not resume:
            self.state.transcript = None
            self.state.transcript_offset = 0
        self.log(
            LogLevel.INFO,
            "Claude Code resumed its conversation" if plan.resumed else "Claude Code started",
            {"session_id": plan.session_id, "policy": self.agent.permission_policy},
        )
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
        while time.monotonic() < deadline and not self.tick(look=True).input_text:
            self._pause(0.05)
        for _attempt in range(3):
            self.runtime.send_keys(username, self.target, "Enter")
            self._heat()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                screen = self.tick(look=True)
                turn = self.state.turn
                if (
                    turn.busy_seen
                    or turn.stop_seen
                    or screen.state in (ScreenState.BUSY, ScreenState.PERMISSION, ScreenState.RETRYING)
                ):
                    turn.busy_seen = True
                    return
                if screen.state == ScreenState.IDLE and not screen.input_text and screen.turn_finished:
                    return
                self._pause(0.05)
        raise ClaudeGone("Claude Code did not take the prompt")

    def _check_adopted_turn(self, turn: Turn) -> None:
        """A turn saved by an earlier supervisor: forget it if its prompt was never submitted."""
        if turn.busy_seen or turn.stop_seen:
            return
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and not (turn.busy_seen or turn.stop_seen):
            screen = self.tick(look=True)
            if screen.state in (ScreenState.BUSY, ScreenState.PERMISSION, ScreenState.RETRYING):
                turn.busy_seen = True
            self._pause(self.settings.supervisor_tick_seconds)
        if not (turn.busy_seen or turn.stop_seen):
            self.log(
                LogLevel.AGENT_DECISION,
                "The previous supervisor stopped before its prompt was taken; sending it again",
                {"reason": "adopted turn never started"},
            )
            self.state.turn = None
            self._save_state()

    def wait_turn(self) -> TurnResult:
        """Watch the current turn until it ends (see turn.advance), answering what the screen asks."""
        turn = self.state.turn
        assert turn is not None
        progress = Progress()
        self._last_change = time.monotonic()
        while True:
            screen = self.tick()
            if screen.state == ScreenState.RETRYING:
                key = (screen.attempt, screen.max_attempts)
                if key != self._retry_logged:
                    self._retry_logged = key
                    self.log(
                        LogLevel.ERROR,
                        f"API error; Claude Code retries (attempt {screen.attempt}/{screen.max_attempts})",
                        {"error": screen.error},
                    )
            progress = replace(
                progress,
                busy_seen=turn.busy_seen,
                stop_seen=turn.stop_seen,
                last_change=self._last_change,
                has_texts=bool(turn.texts),
                last_error=turn.errors[-1] if turn.errors else None,
                limit_error=next((e for e in reversed(turn.errors) if usage_limit.is_usage_limit(e)), None),
            )
            action = advance(
                progress, Look(screen.state, screen.error), time.monotonic(), stall_seconds=self.settings.stall_seconds
            )
            progress = action.progress
            turn.busy_seen = progress.busy_seen
            if action.kind == "gone":
                raise ClaudeGone("Claude Code exited during the turn")
            if action.kind == "permission":
                self.answer_permission(screen)
                continue
            if action.kind == "question":
                self.answer_question(screen)
                self._last_change = time.monotonic()
                continue
            if action.kind == "stalled":
                return self._stalled()
            if action.kind == "end":
                if action.error == PROMPT_LOST and not progress.busy_seen:
                    return self._end_turn(TurnResult(ok=False, error=PROMPT_LOST, texts=[]))
                context = self.reader.last_usage.context_tokens if self.reader and self.reader.last_usage else 0
                return self._end_turn(
                    TurnResult(
                        ok=action.error is None,
                        error=action.error,
                        texts=list(turn.texts),
                        actions=list(turn.actions),
                        context_tokens=context,
                    )
                )
            if action.kind == "dialog":
                self._answer_dialog(screen)
            self._pause()

    def _end_turn(self, result: TurnResult) -> TurnResult:
        self.state.turn = None
        self._save_state()
        return result

    def _stalled(self) -> TurnResult:
        self.log(
            LogLevel.AGENT_DECISION,
            f"No output for {self.settings.stall_seconds:.0f}s while busy; pressing Ctrl+C to interrupt Claude Code",
            {"reason": "stall"},
        )
        self.runtime.send_keys(self.user.username, self.target, "C-c")
        self._heat()
        try:
            self.wait_for({ScreenState.IDLE, ScreenState.ERROR}, 30)
        except ClaudeGone:
            raise
        return self._end_turn(TurnResult(ok=False, error=STALLED, texts=[]))

    # -- permissions and humans ------------------------------------------------------------------

    def answer_permission(self, screen: Screen) -> None:
        try:
            seen = PurePosixPath(self.runtime.runtime_path(self.user.username, self.workspace))
        except RuntimeErrorBase:
            seen = None
        decision = (
            policy.decide(screen, policy=self.agent.permission_policy, workspace=seen)
            if seen is not None
            else policy.Decision(False, "the project folder could not be located")
        )
        question = " ".join(
            x
            for x in (screen.question, screen.target)
            if x and not (x == screen.target and screen.question and x in screen.question)
        )
        if decision.allow:
            self.log(LogLevel.AGENT_DECISION, f"Approved: {question}", {"reason": decision.reason})
            self._press_menu_key("1")
            return
        self.log(LogLevel.AGENT_DECISION, f"Escalated to you: {question}", {"reason": decision.reason})
        reply = self.need_help(
            f"Claude Code asks: {question}", waiting_on_permission=True, kind="permission", choices=screen.options
        )
        if reply is None:
            return  # answered in the terminal
        key, text = policy.reply_keys(reply)
        if key is not None:
            self._press_menu_key(key)
        if text:
            self.wait_for({ScreenState.IDLE, ScreenState.ERROR}, 60)
            turn = self.state.turn
            self.send_prompt(text, kind="reply", index=turn.index if turn else -1)

    def answer_question(self, screen: Screen) -> None:
        """Claude Code asks a multiple-choice question: the brain picks, else a human does."""
        turn = self.state.turn
        index = turn.index if turn is not None and turn.index >= 0 else self.project.current_step
        options = "\n".join(f"{i}. {o}" for i, o in enumerate(screen.options, start=1))
        question = screen.question or "Claude Code asks a question"
        steering = SupervisorSteering(self, index, allow_send=False)
        self.ask_brain(
            f"Claude Code asks you to choose: {question}\n{options}\n\nPick one with press_key "
            "(the option's digit); use ask_human only if the project context cannot decide.",
            steering,
        )
        if self.tick(look=True).state != ScreenState.QUESTION:
            return
        reply = self.need_help(
            f"Claude Code asks: {question} {options}".strip(),
            waiting_on_permission=True,
            kind="question",
            choices=screen.options,
            text=f"Claude Code asks: {question}",
        )
        if reply is None:
            return
        key, text = policy.reply_keys(reply)
        self._press_menu_key(key or "Escape", state=ScreenState.QUESTION)
        if text:
            self.wait_for({ScreenState.IDLE, ScreenState.ERROR}, 60)
            self.send_prompt(text, kind="reply", index=index)

    def _press_menu_key(self, key: str, *, state: ScreenState = ScreenState.PERMISSION) -> None:
        """Press a menu key once the menu has settled; press again if it was not taken."""
        settled = self._screen_text
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:  # a menu drawn a moment ago may not take keys yet
            self._pause(0.1)
            if self.tick(look=True).state != state:
                return
            if self._screen_text == settled:
                break
            settled = self._screen_text
        for _attempt in range(3):
            self.runtime.send_keys(self.user.username, self.target, key)
            self._heat()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                if self.tick(look=True).state != state:
                    return
                self._pause(0.05)

    def need_help(
        self,
        question: str,
        *,
        waiting_on_permission: bool = False,
        kind: QuestionKind = "error",
        choices: Sequence[str] = (),
        text: str | None = None,
    ) -> str | None:
        """Set `needs_help` once and wait for a reply (or, for a prompt, the user's own answer).

        The project carries the question as data (`Project.question`) while it waits: its kind,
        its text and the menu's choices. A reply is text, or a decision / choice turned into
        the menu's key (see `reply_text`)."""
        previous = self.reload_project().status
        question = hide_paths(question, self.shown_roots())
        text = hide_paths(text, self.shown_roots()) if text is not None else None
        asked = Question(
            kind=kind,
            text=(text or question)[:1000],
            choices=[hide_paths(c, self.shown_roots())[:200] for c in choices[:20]],
        )
        self.update_project(
            status=ProjectStatus.NEEDS_HELP.value,
            status_reason=question[:1000],
            status_kind="question",
            question=asked.model_dump(),
        )
        self.log(
            LogLevel.WARNING,
            f"Needs help: {question}"[:2000],
            {
                "needs_help": True,
                "kind": "needs_help",
                "question": question,
                "state": {"status": "needs_help"},
                "step": self._step_index + 1 if self._step_index is not None else None,
                "activity": {
                    "type": "question",
                    "by": "supervisor",
                    "kind": kind,
                    "text": asked.text,
                    "choices": asked.choices,
                },
            },
        )
        self._asking_human = True
        self._dirty.add("inbox")  # a reply may be there already
        try:
            while True:
                screen = self.tick()
                messages: list[dict[str, Any]] = []
                if "inbox" in self._dirty or not self.wakeup.watched("inbox"):
                    self._dirty.discard("inbox")
                    messages, self.state.inbox_offset = self._read_jsonl(
                        self.run_dir / INBOX_FILE, self.state.inbox_offset
                    )
                    self._save_state()
                for message in messages:
                    answer = reply_text(message)
                    if answer:
                        self._record_answer(asked, answer)
                        self.log(LogLevel.AGENT_DECISION, "Going on with your reply", {"reply": answer[:500]})
                        return answer
                if waiting_on_permission and screen.state not in (
                    ScreenState.PERMISSION,
                    ScreenState.QUESTION,
                    ScreenState.UNKNOWN,
                ):
                    self._record_answer(asked, None)
                    self.log(LogLevel.AGENT_DECISION, "You answered in the terminal; going on")
                    return None
                self._pause(None if self.wakeup.watched("inbox") else max(self.settings.supervisor_tick_seconds, 1.0))
        finally:
            self._asking_human = False
            self._heat()
            if not self.stopping:
                back = previous if previous != ProjectStatus.NEEDS_HELP.value else ProjectStatus.RUNNING.value
                self.update_project(status=back, status_reason=None, status_kind=None, question=None)

    def _record_answer(self, asked: Question, answer: str | None) -> None:
        """Your answer on the step it was given in; a no marks the step for your review."""
        said = policy.answer_words(answer, asked.choices) if answer is not None else "(in the terminal)"
        index = self._step_index
        if answer is not None and policy.is_decline(answer):
            self._declined.append(asked.text[:300])
        if index is None:
            return
        plan = self.reload_project().implementation_plan
        if index < len(plan):
            answers = [str(a) for a in plan[index].get("answers", []) if isinstance(a, str)][-49:]
            status = StepStatus(plan[index].get("status", StepStatus.RUNNING.value))
            self.set_step(index, status, answers=[*answers, said[:500]])

    # -- the plan ------------------------------------------------------------------------------

    def make_plan(self) -> None:
        self.update_project(status=ProjectStatus.PLANNING.value)
        self.log(LogLevel.INFO, "Asking Claude Code for a plan")
        attempt = 0
        while attempt < 3:
            turn = self.state.turn
            if turn is None or turn.kind != "plan":
                readme = workspaces.read_readme(self.tree, self.project.slug) if self.project.git_url else None
                self.send_prompt(identity.planning_prompt(self.project, readme), kind="plan", index=0)
            result = self.wait_turn()
            if result.error and usage_limit.is_usage_limit(result.error):
                self._wait_for_usage_limit(result.error)  # not an attempt: the same prompt goes again
                continue
            steps = identity.parse_plan("\n".join(result.texts))
            if steps:
                self.update_project(implementation_plan=steps, current_step=0, status=ProjectStatus.RUNNING.value)
                self.log(
                    LogLevel.AGENT_DECISION,
                    f"Plan written: {len(steps)} steps",
                    {"plan": [s["title"] for s in steps], "state": {"status": "running"}},
                )
                self._append_history(f"Plan: {len(steps)} steps: " + "; ".join(s["title"] for s in steps))
                return
            self.log(
                LogLevel.ERROR,
                f"No numbered plan in Claude Code's answer (attempt {attempt + 1}/3)",
                {"error": result.error},
            )
            attempt += 1
        reply = self.need_help(
            "Claude Code did not produce a plan. Write the plan in the project page, "
            "or reply with the steps as a numbered list."
        )
        steps = identity.parse_plan(reply or "")
        if not steps:
            raise Paused("No plan: add steps to the project and start it again", kind="no_plan")
        self.update_project(implementation_plan=steps, current_step=0, status=ProjectStatus.RUNNING.value)

    def run_step(self, index: int) -> None:
        """Send one step and work on it until it is done: retries, crashes, decisions, humans."""
        project = self.reload_project()
        step = project.implementation_plan[index]
        title = str(step.get("title", ""))
        n = index + 1
        if step.get("status") != StepStatus.RUNNING.value:
            self.set_step(index, StepStatus.RUNNING, started_at=utcnow().isoformat())
            self.update_project(current_step=index, status=ProjectStatus.RUNNING.value)
            self.log(LogLevel.INFO, f"Step {n} started: {title}", {"step": n, "state": {"current_step": index}})
        else:
            self.update_project(current_step=index)
        self._step_index = index
        self._declined = []
        verified = False
        errors: list[str] = []
        approach_changed = False
        crashes = 0
        follow_ups = 0
        note: str | None = None
        summary = ""
        while True:
            try:
                turn = self.state.turn
                if turn is not None and turn.kind in ("step", "reply") and turn.index == index:
                    self._check_adopted_turn(turn)
                    turn = self.state.turn
                if turn is None or turn.kind not in ("step", "reply") or turn.index != index:
                    summaries = [str(s.get("summary", "")) for s in self.project.implementation_plan[:index]]
                    note = "\n\n".join(x for x in (note, self._instructions_note()) if x) or None
                    prompt = identity.step_prompt(self.project, index, summaries=summaries, note=note)
                    self.send_prompt(prompt, kind="step", index=index)
                note = None
                result = self.wait_turn()
                instructions = self._instructions_note()
                if instructions:  # the human's word comes before any verdict on this turn
                    note = instructions  # if Claude Code is gone, the step is sent again carrying it
                    self.send_prompt(instructions, kind="reply", index=index)
                    note = None
                    continue
            except ClaudeGone as exc:
                crashes += 1
                self.log(LogLevel.ERROR, f"Claude Code stopped during step {n}: {exc}", {"crashes": crashes})
                self.state.turn = None
                if crashes > CRASH_LIMIT:
                    reply = self.need_help(f"Claude Code keeps exiting during step {n}: {exc}")
                    note = f"The human says: {reply}" if reply else None
                    crashes = 0
                self.log(
                    LogLevel.AGENT_DECISION,
                    "Restarting Claude Code and sending the step again",
                    {"reason": "Claude Code's process ended", "resume": bool(self.project.claude_session_id)},
                )
                self.ensure_claude(resume=True)
                note = note or "Claude Code was restarted; continue this step where it stopped."
                continue
            if result.ok:
                self._compact_if_full(result)
                verdict, summary, verified = self._evaluate(index, result)
                if verdict == "done":
                    break
                if verdict == "follow_up":
                    follow_ups += 1
                    if follow_ups > FOLLOW_UP_LIMIT:
                        self.log(
                            LogLevel.AGENT_DECISION,
                            f"Step {n}: {FOLLOW_UP_LIMIT} follow-ups sent; counting the step as done, not verified",
                            {"reason": "follow-up limit", "verified": False},
                        )
                        verified = False
                        summary = summary or (result.texts[-1] if result.texts else "")
                        break
                    continue  # a follow-up prompt is running: watch that turn
                # verdict == "failed": the human decides how to go on
                self.set_step(index, StepStatus.FAILED)
                reply = self.need_help(f"Step {n} ({title}) failed: {summary}")
                self.set_step(index, StepStatus.RUNNING)
                note = f"The human says: {reply}" if reply else "Try the step again."
                continue
            error = result.error or "unknown error"
            then = rules.after_error(
                error,
                errors,
                approach_changed=approach_changed,
                stall_seconds=self.settings.stall_seconds,
                backoff_max=self.settings.retry_backoff_max_seconds,
            )
            errors, approach_changed = list(then.errors), then.approach_changed
            if then.kind == "usage_limit":
                self._wait_for_usage_limit(error)
                note = "The usage limit has reset; continue the step."
                continue
            if then.kind == "ask_human":
                reply = self.need_help(
                    f"Step {n} keeps failing with the same error, even with another approach: {error}"
                )
                note = f"The human says: {reply}" if reply else "Try again."
                continue
            if then.kind == "new_approach":
                note = self._another_approach(index, error)
                continue
            note, delay = then.note, then.delay
            self.log(
                LogLevel.AGENT_DECISION,
                f"Step {n} ended with an error; retrying in {delay:.0f}s",
                {"error": error, "attempt": len(errors), "reason": "errors are retried with backoff"},
            )
            self.sleep(delay)
        summary = (summary or (result.texts[-1] if result.texts else "")).strip().replace("\n", " ")[:300]
        from autocode.services import checkpoints

        try:
            commit = checkpoints.commit_step(self._workspace(), step=n, title=title)
        except checkpoints.CheckpointFailed as exc:
            commit = None  # the work is done and on disk; only its history entry is missing
            self.log(LogLevel.ERROR, f"Could not record a checkpoint for step {n}: {exc}")
        review = f"You declined: {self._declined[-1]}" if self._declined else None
        self.set_step(index, StepStatus.DONE, summary=summary, verified=verified, review=review)
        self._step_index = None
        self.update_project(current_step=min(index + 1, len(self.project.implementation_plan)))
        outcome = "done" if verified else "done, not verified"
        self.log(
            LogLevel.INFO if verified and review is None else LogLevel.WARNING,
            f"Step {n} {outcome}: {title}" + (f" (flagged for review: {review})" if review else ""),
            {
                "step": n,
                "commit": commit,
                "summary": summary,
                "verified": verified,
                "review": review,
                "kind": "step_outcome",
                "state": {"step": n, "status": "done"},
            },
        )
        self._append_history(f"Step {n} done: {title}. {summary}")

    # -- decisions -----------------------------------------------------------------------------

    def _workspace(self) -> checkpoints.Workspace:
        """The project's checkpoint history (git), opened on first need."""
        if self._checkpoints is None:
            from autocode.services import checkpoints

            self._checkpoints = checkpoints.Workspace.of(self.settings.data_path, self.user.username, self.project)
        return self._checkpoints

    def brain(self) -> Brain | None:
        """The nanobot brain for this agent's model, if it can be used (built on first need)."""
        if self._brain is not None or self._brain_failed or not self.settings.brain_enabled:
            return self._brain
        provider = self.agent.model.partition("/")[0]
        cred = self.credentials.brain
        if cred is None:
            self._brain_failed = True
            self.log(
                LogLevel.INFO,
                f"No '{provider}' key for the agent's model {self.agent.model}: decisions are made by rules only",
            )
            return None
        from autocode.supervisor.brain import Brain, BrainConfig, ProjectFiles, read_identity

        layout = Layout.at(self.settings.data_path)
        brain_dir = layout.brain_dir(self.project_id)
        try:
            workdir = self.runtime.runtime_path(self.user.username, self.workspace)
        except RuntimeErrorBase:
            workdir = ""
        placement = mcp.placement_for(
            self.runtime,
            username=self.user.username,
            workdir=workdir,
            host_commands=self.settings.mcp_host_commands,
            allowed_networks=self.settings.mcp_allowed_networks,
        )
        self._brain = Brain(
            BrainConfig(
                model=self.agent.model,
                api_key=cred.secret,
                base_url=cred.base_url,
                identity=read_identity(brain_dir),
                brain_dir=brain_dir,
                files=ProjectFiles(Tree(layout.user_dir(self.user.username)), project_rel(self.project.slug)),
                tools=tuple(self.agent.tools),
                mcp_servers=dict(self.agent.mcp_servers),
                mcp_placement=placement,
                on_refusal=lambda message: self.log(LogLevel.ERROR, message),
            )
        )
        return self._brain

    def ask_brain(self, situation: str, steering: SupervisorSteering) -> str | None:
        """One decision by the brain; None when it is unavailable (rules decide instead)."""
        brain = self.brain()
        if brain is None or time.monotonic() < self._brain_retry_at:
            return None
        from autocode.supervisor.brain import BrainUnavailable

        try:
            decision = brain.decide(situation, steering)
        except BrainUnavailable as exc:
            # Do not wait on a broken endpoint at every decision: rules decide for a while.
            self._brain_retry_at = time.monotonic() + BRAIN_COOLDOWN
            self.log(
                LogLevel.ERROR,
                f"The decision model is unavailable: {exc}; rules decide for the next {BRAIN_COOLDOWN:.0f}s",
                {"error": str(exc)[:500]},
            )
            return None
        self.log(
            LogLevel.AGENT_DECISION,
            f"Decided: {decision.text.strip()[:300] or 'no comment'}",
            {"actions": [name for name, _ in decision.actions], "reason": decision.text[:1000]},
        )
        return decision.text

    def _situation(self, index: int, result: TurnResult, headline: str) -> str:
        step = self.project.implementation_plan[index]
        from autocode.services import checkpoints

        status = checkpoints.workspace_status(self._workspace())
        texts = "\n".join(t.strip() for t in result.texts[-3:]) or "(no text)"
        actions = "\n".join(f"- {a}" for a in result.actions[-20:]) or "- (no tool calls)"
        return "\n".join(
            [
                headline,
                f"Step {index + 1} of {len(self.project.implementation_plan)}: {step.get('title', '')}",
                str(step.get("detail", "")),
                "",
                "What Claude Code said at the end of its turn:",
                texts,
                "",
                "Its tool calls in this turn:",
                actions,
                "",
                "Changed files (git status --short):",
                status or "(nothing changed)",
                "",
                "Decide with your tools: mark_step_done(summary) if the step is done and verifiable;"
                " send_text(text) to answer a question Claude Code asked or to give precise instructions;"
                " mark_step_failed(reason) if it cannot be done; revise_plan(steps, reason) if the remaining"
                " plan should change; ask_human(question) only if you cannot decide.",
            ]
        )

    def _evaluate(self, index: int, result: TurnResult) -> tuple[str, str, bool]:
        """After a clean turn: 'done', 'follow_up' (a prompt was sent) or 'failed', with a summary,
        and whether a decision model gave that verdict (a rule's 'done' is not verified)."""
        steering = SupervisorSteering(self, index)
        text = self.ask_brain(self._situation(index, result, "Claude Code finished a turn."), steering)
        if steering.sent:
            return "follow_up", "", False
        if steering.failed is not None:
            return "failed", steering.failed, True
        if steering.done is not None:
            return "done", steering.done, True
        last = (result.texts[-1] if result.texts else "").strip()
        if text is None and last.endswith("?"):
            # Rules cannot answer a question from Claude Code: that is a human's call.
            reply = self.need_help(f"Claude Code asks: {last[-500:]}", kind="question") or "Go on with the step."
            self.send_prompt(reply, kind="reply", index=index)
            return "follow_up", "", False
        reason = "the turn ended cleanly" if text is None else "the decision model gave no verdict"
        self.log(
            LogLevel.AGENT_DECISION,
            f"Step {index + 1} counts as done, not verified: {reason}",
            {"reason": reason, "verified": False, "step": index + 1},
        )
        return "done", last, False

    def _another_approach(self, index: int, error: str) -> str:
        """The same error three times: ask for a different approach (brain, else a rule)."""
        result = TurnResult(ok=False, error=error, texts=[])
        steering = SupervisorSteering(self, index, allow_send=False)
        text = self.ask_brain(
            self._situation(
                index,
                result,
                f"The step failed {SAME_ERROR_LIMIT} times with the same error: {error}. "
                "Reply with instructions for a different approach (plain text, no tool call needed).",
            ),
            steering,
        )
        note = (text or "").strip() or (
            f"The same error happened {SAME_ERROR_LIMIT} times: {error}. Stop and take a different approach:"
            " rethink the cause, change the method, and verify the result before you finish."
        )
        self.log(
            LogLevel.AGENT_DECISION,
            f"Same error {SAME_ERROR_LIMIT} times; asking for another approach",
            {"error": error, "instructions": note[:1000], "reason": "repeated error"},
        )
        return note

    def _compact_if_full(self, result: TurnResult) -> None:
        if not rules.needs_compaction(
            result.context_tokens,
            window=self.settings.context_window_tokens,
            ratio=self.settings.context_compact_ratio,
        ):
            return
        plan = self.reload_project().implementation_plan
        done = [
            f"{i + 1}. {s.get('title', '')}: {s.get('summary', '')}"
            for i, s in enumerate(plan)
            if s.get("status") == "done"
        ]
        summary = (
            f"Project {self.project.name}. Goal: {self.project.description.strip()[:500]}. "
            f"Done so far: {'; '.join(done) or 'nothing yet'}. "
            f"Current step: {self.project.current_step + 1}."
        )
        self.log(
            LogLevel.AGENT_DECISION,
            f"Context nearly full ({result.context_tokens} of {self.settings.context_window_tokens} tokens);"
            " compacting with a state summary",
            {"reason": "context window", "summary": summary},
        )
        self.send_prompt(f"/compact Keep this state: {summary}", kind="compact", index=-1)
        self.wait_turn()

    def _wait_for_usage_limit(self, error: str) -> None:
        """Pause until the limit resets (the time Claude Code reported), then let the step go on."""
        deadline = time.monotonic() + 2
        while self._limit_reset is None and time.monotonic() < deadline:
            self.tick()  # the transcript, which has the exact time, may come a moment after the hook
            time.sleep(self.settings.supervisor_tick_seconds)
        now = utcnow()
        reset, source = self._limit_reset, "the reset time Claude Code recorded"
        self._limit_reset = None
        if reset is None:
            reset, source = usage_limit.reset_from_text(error, now), "the reset time Claude Code shows"
        fallback = timedelta(seconds=self.settings.usage_limit_wait_seconds)
        resume = usage_limit.resume_at(reset, now, fallback=fallback)
        if reset is None or resume != max(reset, now):
            source = f"no usable reset time; waiting {fallback.total_seconds():.0f}s"
        self._cancel_auto_continue()
        previous = self.reload_project().status
        self.update_project(
            status=ProjectStatus.PAUSED.value,
            status_reason=f"Usage limit reached: {error[:300]}",
            status_kind="usage_limit",
            resume_at=resume,
        )
        self.log(
            LogLevel.AGENT_DECISION,
            f"Usage limit reached; paused until {resume:%Y-%m-%d %H:%M:%S} UTC ({source})",
            {"error": error, "resume_at": resume.isoformat(), "state": {"status": "paused"}, "reason": "usage limit"},
        )
        while (left := (resume - utcnow()).total_seconds()) > 0:
            self.sleep(min(left, 60.0))  # by the wall clock: a long wait may span a host's sleep
        self.update_project(
            status=previous if previous != ProjectStatus.PAUSED.value else ProjectStatus.RUNNING.value,
            status_reason=None,
            status_kind=None,
            resume_at=None,
        )
        self.log(LogLevel.INFO, "Resuming after the usage limit", {"state": {"status": "running"}})

    def _cancel_auto_continue(self) -> None:
        """Claude Code offers to continue by itself after the reset: the supervisor does that
        (with the step's context), so Claude Code's own offer is cancelled with Esc."""
        if not usage_limit.offers_auto_continue(self._screen_text):
            return
        self.runtime.send_keys(self.user.username, self.target, "Escape")
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and usage_limit.offers_auto_continue(self._screen_text):
            time.sleep(self.settings.supervisor_tick_seconds)
            self.tick()
        if not usage_limit.offers_auto_continue(self._screen_text):
            self.log(
                LogLevel.INFO,
                "Cancelled Claude Code's own continue after the reset; the supervisor goes on with the step",
            )

    def revise_plan(self, index: int, steps: list[dict[str, str]], reason: str) -> str:
        plan = [dict(s) for s in self.reload_project().implementation_plan]
        kept = plan[: index + 1]
        new = [
            {
                "title": str(s.get("title", ""))[:200],
                "detail": str(s.get("detail", ""))[:2000],
                "status": StepStatus.PENDING.value,
            }
            for s in steps
            if str(s.get("title", "")).strip()
        ]
        if not new and len(plan) > index + 1:
            return "refused: the revised plan has no steps"
        self.update_project(implementation_plan=kept + new)
        self.log(
            LogLevel.AGENT_DECISION,
            f"Plan revised: {reason}"[:500],
            {
                "before": [s.get("title") for s in plan[index + 1 :]],
                "after": [s["title"] for s in new],
                "reason": reason,
                "state": {"plan": "revised"},
            },
        )
        return f"plan revised: {len(new)} remaining steps"

    def _instructions_note(self) -> str | None:
        """The human's instructions queued since the last turn boundary, as one message (or None)."""
        items, self.state.instructions_offset = self._read_jsonl(
            self.run_dir / INSTRUCTIONS_FILE, self.state.instructions_offset
        )
        texts = [str(i.get("text", "")).strip() for i in items if str(i.get("text", "")).strip()]
        if not texts:
            return None
        self._save_state()
        self.log(
            LogLevel.AGENT_DECISION,
            f"Giving Claude Code your instruction: {texts[0][:200]}",
            {"instructions": [t[:500] for t in texts], "reason": "sent by you"},
        )
        return "\n".join(["The human who owns this project adds an instruction:", *texts])

    def _append_history(self, line: str) -> None:
        path = Layout.at(self.settings.data_path).brain_dir(self.project_id) / "HISTORY.md"
        from autocode.supervisor.brain import prepare_brain_dir  # the module, not nanobot

        prepare_brain_dir(path.parent)
        with path.open("a") as fh:
            fh.write(f"- {utcnow().isoformat(timespec='seconds')} {line}\n")

    # -- the whole run ---------------------------------------------------------------------------

    def _on_sigterm(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping = True
        self.wakeup.poke()

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
            # The instance ends first, so a project seen as completed never has a live instance.
            self._stop_claude()
            self._finish(InstanceStatus.EXITED, "completed")
            self.update_project(
                status=ProjectStatus.COMPLETED.value,
                status_reason=None,
                status_kind=None,
                current_step=len(self.project.implementation_plan),
            )
            total = len(self.project.implementation_plan)
            self.log(
                LogLevel.INFO,
                "The step is done" if total == 1 else f"All {total} steps are done",
                {"state": {"status": "completed"}},
            )
            return 0
        except Stopped:
            self._save_state()
            self._finish(InstanceStatus.STOPPED, "stopped by the server")
            return 0
        except Paused as exc:
            self.update_project(status=ProjectStatus.PAUSED.value, status_reason=str(exc), status_kind=exc.kind)
            self.log(LogLevel.AGENT_DECISION, f"Paused: {exc}", {"state": {"status": "paused"}})
            self._stop_claude()
            self._finish(InstanceStatus.EXITED, str(exc))
            return 0
        except Exception as exc:
            # The watchdog restarts this process; the reason must be in the project's log.
            self.log(LogLevel.ERROR, f"The supervisor stopped on an error: {type(exc).__name__}: {exc}"[:1000])
            self._save_state()
            raise

    def _stop_claude(self) -> None:
        """Free Claude Code's memory once nothing is left to do (a start resumes its conversation)."""
        try:
            self.runtime.kill_window(self.user.username, self.target)
        except RuntimeErrorBase as exc:
            log.warning("could not stop claude code", extra={"error": str(exc)})
        if self._brain is not None:
            self._brain.close()

    def _finish(self, status: InstanceStatus, reason: str) -> None:
        self.set_instance(status=status.value, ended_at=utcnow(), exit_reason=reason)
        self.state.turn = None
        self._save_state()


class SupervisorSteering:
    """The brain's tools, acting on this supervisor for the current step."""

    def __init__(self, supervisor: Supervisor, index: int, *, allow_send: bool = True) -> None:
        self.sup = supervisor
        self.index = index
        self.allow_send = allow_send
        self.sent = False
        self.done: str | None = None
        self.failed: str | None = None

    def send_text(self, text: str) -> str:
        if not self.allow_send:
            return "not now: reply with your instructions as text instead"
        if self.sent:
            return "a message was already sent; wait for Claude Code's answer"
        self.sup.log(LogLevel.AGENT_DECISION, f"Told Claude Code: {text.strip()[:300]}", {"text": text[:2000]})
        self.sup.send_prompt(text, kind="reply", index=self.index)
        self.sent = True
        return "sent; Claude Code is working on it"

    def press_key(self, key: str) -> str:
        if not re.fullmatch(r"Enter|Escape|C-c|C-u|Tab|Up|Down|[1-9]", key):
            return f"refused: {key!r} is not an allowed key"
        self.sup.log(LogLevel.AGENT_DECISION, f"Pressed {key}", {"key": key})
        self.sup.runtime.send_keys(self.sup.user.username, self.sup.target, key)
        return f"pressed {key}"

    def mark_step_done(self, summary: str) -> str:
        self.done = summary.strip() or "done"
        return "recorded: step done"

    def mark_step_failed(self, reason: str) -> str:
        self.failed = reason.strip() or "failed"
        return "recorded: step failed"

    def revise_plan(self, steps: list[dict[str, str]], reason: str) -> str:
        return self.sup.revise_plan(self.index, steps, reason)

    def ask_human(self, question: str) -> str:
        reply = self.sup.need_help(question, kind="question")
        return reply or "(the human answered in the terminal)"
