"""Starting, stopping and watching supervisors: one OS process per running project."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from autocode.core.config import Settings
from autocode.core.layout import INSTRUCTIONS_FILE, run_dir
from autocode.core.security import Keys
from autocode.models import (
    ACTIVE_STATUSES,
    Agent,
    AgentInstance,
    InstanceStatus,
    LogLevel,
    Project,
    ProjectStatus,
    Question,
    ReplyRequest,
    StepStatus,
    User,
    utcnow,
)
from autocode.runtime import Runtime, RuntimeErrorBase
from autocode.services import clones, deploy_keys, git_urls, runtime_policy, workspaces
from autocode.services import keys as key_service
from autocode.services.errors import Conflict, DomainError, Invalid
from autocode.services.projects import add_log
from autocode.services.sessions import AGENT_WINDOW
from autocode.supervisor import boot

log = logging.getLogger(__name__)

SUPERVISOR_MODULE = "autocode.supervisor"
LIVE_INSTANCE = (InstanceStatus.STARTING.value, InstanceStatus.RUNNING.value)
CRASH_WINDOW = timedelta(minutes=10)
MAX_CRASHES = 3
STOP_GRACE_SECONDS = 8.0
HEARTBEAT_STALE = timedelta(seconds=90)
CLAUDE_PROVIDERS = ("anthropic", "claude-code-oauth")
RETRIED = (StepStatus.FAILED.value, StepStatus.RUNNING.value)  # the steps a retry runs again


def _append_line(path: Path, item: dict[str, object]) -> None:
    """One JSON line appended whole (O_APPEND) to a file the supervisor reads."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (json.dumps(item) + "\n").encode())
    finally:
        os.close(fd)


def process_is_supervisor(pid: int | None, instance_id: int) -> bool:
    """Whether `pid` is alive (not a zombie) and is the supervisor of that instance."""
    if pid is None or pid <= 0:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0] if ")" in stat else "?"
    if state in ("Z", "X"):
        return False
    return SUPERVISOR_MODULE.encode() in cmdline and str(instance_id).encode() in cmdline


def check_answer(asked: dict[str, object] | None, answer: ReplyRequest) -> None:
    """A decision answers a permission; a choice must be one of the menu's. Raise Invalid."""
    question = Question.model_validate(asked) if asked is not None else None
    if answer.decision is not None and (question is None or question.kind != "permission"):
        raise Invalid("Approve or deny answers a permission question only; reply with text")
    if answer.choice is not None and (question is None or not 1 <= answer.choice <= len(question.choices)):
        count = len(question.choices) if question is not None else 0
        raise Invalid(f"Choice {answer.choice} is not offered (the question has {count} choices)")


def answer_summary(asked: dict[str, object] | None, answer: ReplyRequest) -> str:
    """The answer in words, for the log."""
    if answer.decision is not None:
        return "yes (approved)" if answer.decision == "approve" else "no (denied)"
    if answer.choice is not None and asked is not None:
        choices = Question.model_validate(asked).choices
        return f"{answer.choice}. {choices[answer.choice - 1]}"
    return answer.text or ""


@dataclass
class Orchestrator:
    """The one owner of supervisor processes; the API and the watchdog go through it."""

    settings: Settings
    engine: Engine
    keys: Keys
    runtime: Runtime
    _children: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    _restart_at: dict[int, float] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    # Clones running in this server (project ids) and those to start once cloned.
    _cloning: dict[int, threading.Thread] = field(default_factory=dict)
    _start_after_clone: set[int] = field(default_factory=set)

    # -- the API's verbs -------------------------------------------------------------------

    def start(self, session: Session, *, user: User, project: Project) -> Project:
        """Check the project can run, then start its supervisor."""
        runtime_policy.require_runtime(self.settings, user)
        with self._lock:
            session.refresh(project)
            if project.status in ACTIVE_STATUSES:
                raise Conflict("Project is already running")
            plan = project.implementation_plan
            if not plan and not project.description.strip() and not project.git_url:
                raise Invalid("Add a plan, or a description the agent can plan from")
            if plan and all(s.get("status") in ("done", "skipped") for s in plan):
                raise Conflict("Every step of the plan is done; add steps to continue")
            assert user.id is not None
            if not any(
                key_service.credential(session, keys=self.keys, user_id=user.id, provider=p) for p in CLAUDE_PROVIDERS
            ):
                raise Invalid("Add an Anthropic API key or a Claude subscription token in Settings first")
            if project.git_url and not project.cloned:
                # The repository first; the supervisor starts when the clone is done.
                return self.clone(session, user=user, project=project, then_start=True)
            project.status = (ProjectStatus.RUNNING if plan else ProjectStatus.PLANNING).value
            project.status_reason = None
            project.status_kind = None
            project.resume_at = None
            project.question = None
            project.updated_at = utcnow()
            session.add(project)
            session.commit()
            self._spawn(session, project, reason="Started")
            session.refresh(project)
            return project

    def stop(self, session: Session, *, user: User, project: Project, reason: str = "Stopped by you") -> Project:
        """Ask the supervisor to finish, kill it after a grace period, stop Claude Code."""
        with self._lock:
            session.refresh(project)
            instance = self._live_instance(session, project)
            if project.status not in ACTIVE_STATUSES and instance is None:
                raise Conflict("Project is not running")
            assert project.id is not None
            self._restart_at.pop(project.id, None)
            if instance is not None:
                self._terminate(instance)
                session.refresh(instance)
                if instance.status in LIVE_INSTANCE or instance.status == InstanceStatus.STOPPING.value:
                    instance.status = InstanceStatus.STOPPED.value
                    instance.ended_at = utcnow()
                    instance.exit_reason = reason
                    session.add(instance)
            self.runtime.kill_window(user.username, f"{project.tmux_session}:{AGENT_WINDOW}")
            session.refresh(project)
            project.implementation_plan = [
                {**s, "status": StepStatus.PENDING.value} if s.get("status") == StepStatus.RUNNING.value else s
                for s in project.implementation_plan
            ]
            project.status = ProjectStatus.PAUSED.value
            project.status_reason = reason
            project.status_kind = "stopped"
            project.resume_at = None
            project.question = None
            project.screen_state = None
            project.updated_at = utcnow()
            session.add(project)
            session.commit()
            add_log(
                session,
                project_id=project.id,
                level=LogLevel.INFO,
                message=reason,
                data={"state": {"status": project.status}},
            )
            return project

    def restart(self, session: Session, *, user: User, project: Project) -> Project:
        """Stop (when running) and start again, resuming at the current step."""
        with self._lock:
            session.refresh(project)
            if project.status in ACTIVE_STATUSES or self._live_instance(session, project):
                self.stop(session, user=user, project=project, reason="Restarting")
            return self.start(session, user=user, project=project)

    def retry(self, session: Session, *, user: User, project: Project) -> Project:
        """Run a failed project's failed step again: the step goes back to pending, the supervisor starts."""
        with self._lock:
            session.refresh(project)
            if project.status != ProjectStatus.FAILED.value:
                raise Conflict(
                    f"Only a failed project has a step to retry; this one is {project.status.replace('_', ' ')}"
                )
            plan, current = project.implementation_plan, project.current_step
            again = next((i for i, s in enumerate(plan) if s.get("status") in RETRIED), None)
            if again is not None:
                project.implementation_plan = [
                    {**s, "status": StepStatus.PENDING.value} if s.get("status") in RETRIED else s for s in plan
                ]
                project.current_step = again
                session.add(project)
                session.commit()
            try:
                started = self.start(session, user=user, project=project)
            except DomainError:
                # Nothing ran: the plan stays as the failure left it.
                session.refresh(project)
                project.implementation_plan, project.current_step = plan, current
                session.add(project)
                session.commit()
                raise
            if again is not None:
                assert project.id is not None
                add_log(
                    session,
                    project_id=project.id,
                    level=LogLevel.INFO,
                    message=f"Retrying step {again + 1}: {plan[again].get('title', '')}"[:1000],
                    data={"step": again + 1},
                )
            return started

    def reply(self, session: Session, *, project: Project, answer: ReplyRequest) -> None:
        """Hand the human's answer to the project's supervisor: free text, or a decision on
        the permission it asks for, or one of the choices of the menu it shows."""
        session.refresh(project)
        if self._live_instance(session, project) is None:
            raise Conflict("Project is not running")
        assert project.id is not None
        check_answer(project.question, answer)
        self._to_inbox(project.id, answer.model_dump(exclude_none=True))
        words = answer_summary(project.question, answer)[:500]
        step = project.current_step + 1 if project.current_step < len(project.implementation_plan) else None
        add_log(
            session,
            project_id=project.id,
            level=LogLevel.INFO,
            message=f"You answered: {words}"[:1000],
            data={
                "reply": words,
                "kind": "answer",
                "decision": answer.decision,
                "step": step,
                "activity": {"type": "answer", "by": "you", "text": words},
            },
        )

    def decide(self, session: Session, project: Project, decision: str) -> None:
        """Approve or deny the open permission question (a push notification's action)."""
        if decision not in ("approve", "deny"):
            raise Invalid("The decision is approve or deny")
        self.reply(session, project=project, answer=ReplyRequest(decision=decision))

    def _to_inbox(self, project_id: int, message: dict[str, object]) -> None:
        path = run_dir(self.settings.data_path, project_id) / "inbox.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        line = (json.dumps({**message, "at": time.time()}) + "\n").encode()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def instruct(self, session: Session, *, project: Project, text: str) -> None:
        """Queue an instruction the supervisor gives Claude Code at its next turn boundary."""
        session.refresh(project)
        if self._live_instance(session, project) is None:
            raise Conflict("Project is not running: add a step to the plan instead")
        assert project.id is not None
        _append_line(
            run_dir(self.settings.data_path, project.id) / INSTRUCTIONS_FILE, {"text": text, "at": time.time()}
        )
        add_log(
            session,
            project_id=project.id,
            level=LogLevel.INFO,
            message="Your instruction is queued for Claude Code's next turn",
            data={"instruction": text[:500]},
        )

    # -- cloning -----------------------------------------------------------------------------

    def clone(self, session: Session, *, user: User, project: Project, then_start: bool = False) -> Project:
        """Clone the project's repository into its folder in the background (status
        "cloning"), in the user's environment; with `then_start`, start it once cloned."""
        runtime_policy.require_runtime(self.settings, user)
        with self._lock:
            session.refresh(project)
            if not project.git_url or project.cloned:
                return project
            assert project.id is not None and user.id is not None
            if then_start:
                self._start_after_clone.add(project.id)
            if project.id in self._cloning:
                return project
            project.status = ProjectStatus.CLONING.value
            project.status_reason = None
            project.status_kind = None
            project.updated_at = utcnow()
            session.add(project)
            session.commit()
            worker = threading.Thread(
                target=self._clone_worker, args=(project.id, user.id), name=f"clone-{project.id}", daemon=True
            )
            self._cloning[project.id] = worker
            worker.start()
            session.refresh(project)
            return project

    def is_cloning(self, project_id: int) -> bool:
        """Whether a clone of this project runs now."""
        with self._lock:
            return project_id in self._cloning

    def resume_clones(self) -> None:
        """Clones a stopped server left unfinished start again (from an emptied folder)."""
        with Session(self.engine, expire_on_commit=False) as session:
            rows = session.exec(select(Project).where(Project.status == ProjectStatus.CLONING.value)).all()
            for project in rows:
                user = session.get(User, project.user_id)
                if user is None:
                    continue
                try:
                    self.clone(session, user=user, project=project)
                except Exception as exc:
                    self._clone_failed(session, project, f"the clone could not restart: {exc}")

    def wait_clones(self, timeout: float) -> bool:
        """Wait for the running clones to end (tests, shutdown); whether they all did."""
        deadline = time.monotonic() + timeout
        for worker in list(self._cloning.values()):
            worker.join(max(0.0, deadline - time.monotonic()))
        return not any(w.is_alive() for w in self._cloning.values())

    def _clone_worker(self, project_id: int, user_id: int) -> None:
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                project = session.get(Project, project_id)
                user = session.get(User, user_id)
                if project is None or user is None or not project.git_url:
                    return
                try:
                    self._run_clone(session, user, project)
                except Exception as exc:
                    log.exception("clone failed", extra={"project": project_id})
                    self._clone_failed(session, project, git_urls.redact(str(exc))[:400])
                    return
                start = False
                with self._lock:
                    start = project_id in self._start_after_clone
                    self._start_after_clone.discard(project_id)
                if start and project.cloned:
                    try:
                        self.start(session, user=user, project=project)
                    except Exception as exc:
                        add_log(
                            session,
                            project_id=project_id,
                            level=LogLevel.ERROR,
                            message=f"The project could not start after the clone: {exc}",
                        )
        finally:
            with self._lock:
                self._cloning.pop(project_id, None)
                self._start_after_clone.discard(project_id)

    def _run_clone(self, session: Session, user: User, project: Project) -> None:
        assert project.id is not None and user.id is not None and project.git_url is not None
        data_dir = self.settings.data_path
        git = git_urls.check_git_url(project.git_url, production=self.settings.environment == "production")
        command = clones.clone_command(git)
        key = b""
        if command.needs_key:
            secret = deploy_keys.private_key(session, keys=self.keys, user_id=user.id)
            if secret is None:
                raise Invalid(
                    "You have no deploy key yet: open Settings, add your deploy key to the"
                    " repository's host, then start the project again"
                )
            key = secret.encode()
        add_log(
            session,
            project_id=project.id,
            level=LogLevel.INFO,
            message=f"Cloning {git.url}",
            data={"git_url": git.url, "state": {"status": ProjectStatus.CLONING.value}},
        )
        workspaces.empty_project_dir(data_dir, username=user.username, slug=project.slug)
        timeout = self.settings.clone_timeout_seconds
        started = time.monotonic()
        try:
            result = self.runtime.run(
                user.username,
                command.argv,
                timeout=timeout,
                env=command.env,
                stdin=key,
                cwd=workspaces.project_dir(data_dir, user.username, project.slug),
            )
        except RuntimeErrorBase as exc:
            self._clone_failed(session, project, git_urls.redact(str(exc))[:400])
            return
        session.refresh(project)
        if result.returncode != 0:
            reason = clones.failure_reason(
                result.output, result.returncode, timed_out=result.timed_out, timeout=timeout
            )
            self._clone_failed(session, project, reason, output=result.output)
            return
        project.cloned = True
        project.status = ProjectStatus.CREATED.value
        project.status_reason = None
        project.status_kind = None
        project.updated_at = utcnow()
        session.add(project)
        session.commit()
        agent = session.get(Agent, project.agent_id)
        if agent is not None:
            workspaces.refresh_project_docs(data_dir, username=user.username, agent=agent, project=project)
        add_log(
            session,
            project_id=project.id,
            level=LogLevel.INFO,
            message=f"Cloned {git.url} in {time.monotonic() - started:.1f}s",
            data={"state": {"status": project.status}},
        )

    def _clone_failed(self, session: Session, project: Project, reason: str, *, output: str = "") -> None:
        assert project.id is not None
        session.refresh(project)
        project.status = ProjectStatus.FAILED.value
        project.status_reason = f"Clone failed: {reason}"
        project.status_kind = "clone"
        project.updated_at = utcnow()
        session.add(project)
        session.commit()
        add_log(
            session,
            project_id=project.id,
            level=LogLevel.ERROR,
            message=project.status_reason,
            data={"output": git_urls.redact(output)[-4000:], "state": {"status": project.status}},
        )

    # -- processes -------------------------------------------------------------------------

    def _live_instance(self, session: Session, project: Project) -> AgentInstance | None:
        return session.exec(
            select(AgentInstance)
            .where(AgentInstance.project_id == project.id)
            .where(col(AgentInstance.status).in_(LIVE_INSTANCE))
            .order_by(col(AgentInstance.id).desc())
        ).first()

    def _spawn(self, session: Session, project: Project, *, reason: str) -> AgentInstance:
        assert project.id is not None
        instance = AgentInstance(project_id=project.id, status=InstanceStatus.STARTING.value)
        session.add(instance)
        session.commit()
        session.refresh(instance)
        assert instance.id is not None
        rdir = run_dir(self.settings.data_path, project.id)
        rdir.mkdir(parents=True, exist_ok=True)
        # No secret in the environment or on the command line: settings and this project's
        # credentials go through the stdin pipe (supervisor/boot.py). AUTOCODE_DATA_DIR only
        # names the installation a supervisor belongs to (it is not read by the supervisor).
        env = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "HOME": str(rdir),
            "AUTOCODE_DATA_DIR": str(self.settings.data_path),
        }
        message = boot.encode(self.settings, self._credentials(session, project))
        with (rdir / "supervisor.log").open("ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", SUPERVISOR_MODULE, str(instance.id)],
                env=env,
                cwd=str(self.settings.data_path),
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        assert proc.stdin is not None
        try:
            proc.stdin.write(message)
        except OSError:
            log.warning("supervisor did not take its boot message", extra={"instance": instance.id})
        finally:
            try:
                proc.stdin.close()
            except OSError:
                pass
        self._children[instance.id] = proc
        instance.pid = proc.pid
        session.add(instance)
        session.commit()
        add_log(
            session,
            project_id=project.id,
            level=LogLevel.INFO,
            message=f"{reason}: supervisor started",
            instance_id=instance.id,
            data={"pid": proc.pid},
        )
        log.info("supervisor spawned", extra={"project": project.id, "instance": instance.id, "pid": proc.pid})
        return instance

    def _credentials(self, session: Session, project: Project) -> boot.Credentials:
        """Only this project's credentials, decrypted: Claude Code's and the decision model's."""
        claude = None
        for provider in CLAUDE_PROVIDERS:
            claude = key_service.credential(session, keys=self.keys, user_id=project.user_id, provider=provider)
            if claude is not None:
                break
        brain = None
        agent = session.get(Agent, project.agent_id)
        if agent is not None and self.settings.brain_enabled:
            provider = agent.model.partition("/")[0]
            brain = key_service.credential(session, keys=self.keys, user_id=project.user_id, provider=provider)
        return boot.Credentials(claude=claude, brain=brain)

    def _alive(self, instance: AgentInstance) -> bool:
        assert instance.id is not None
        child = self._children.get(instance.id)
        if child is not None and child.poll() is not None:
            self._children.pop(instance.id, None)  # reaped: no zombie left behind
            return False
        return process_is_supervisor(instance.pid, instance.id)

    def _terminate(self, instance: AgentInstance) -> None:
        """SIGTERM, wait for the grace period, then SIGKILL the supervisor's process group."""
        if not self._alive(instance) or instance.pid is None:
            return
        with_group = True
        try:
            os.killpg(instance.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        except PermissionError:
            with_group = False
            os.kill(instance.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while time.monotonic() < deadline:
            if not self._alive(instance):
                return
            time.sleep(0.05)
        try:
            if with_group:
                os.killpg(instance.pid, signal.SIGKILL)
            else:
                os.kill(instance.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self._alive(instance):
            time.sleep(0.05)

    # -- the watchdog ----------------------------------------------------------------------

    def watch_once(self) -> None:
        """Mark dead supervisors crashed and restart them with backoff; give up after 3 in 10 min."""
        with self._lock, Session(self.engine, expire_on_commit=False) as session:
            instances = session.exec(select(AgentInstance).where(col(AgentInstance.status).in_(LIVE_INSTANCE))).all()
            now = utcnow()
            for instance in instances:
                if self._alive(instance):
                    beat = instance.heartbeat_at or instance.started_at
                    if now - beat > HEARTBEAT_STALE and instance.pid is not None:
                        log.warning("supervisor hung; killing it", extra={"instance": instance.id})
                        try:
                            os.killpg(instance.pid, signal.SIGKILL)
                        except OSError:
                            pass
                    continue
                session.refresh(instance)
                if instance.status not in LIVE_INSTANCE:
                    continue  # it finished and said so just now
                self._crashed(session, instance)
            self._restart_due(session)

    def _crashed(self, session: Session, instance: AgentInstance) -> None:
        instance.status = InstanceStatus.CRASHED.value
        instance.ended_at = utcnow()
        instance.exit_reason = "The supervisor process ended unexpectedly"
        session.add(instance)
        session.commit()
        project = session.get(Project, instance.project_id)
        if project is None or project.id is None:
            return
        since = utcnow() - CRASH_WINDOW
        crashes = int(
            session.exec(
                select(func.count())
                .select_from(AgentInstance)
                .where(AgentInstance.project_id == project.id)
                .where(AgentInstance.status == InstanceStatus.CRASHED.value)
                .where(col(AgentInstance.ended_at) >= since)
            ).one()
        )
        if crashes >= MAX_CRASHES:
            project.status = ProjectStatus.FAILED.value
            project.status_reason = f"The supervisor crashed {crashes} times in 10 minutes"
            project.status_kind = "crashed"
            project.question = None
            project.updated_at = utcnow()
            session.add(project)
            session.commit()
            add_log(
                session,
                project_id=project.id,
                level=LogLevel.ERROR,
                message=f"{project.status_reason}; stopped restarting it. See the logs above.",
                instance_id=instance.id,
                data={"state": {"status": project.status}},
            )
            return
        delay = 2 ** (crashes - 1)
        self._restart_at[project.id] = time.monotonic() + delay
        add_log(
            session,
            project_id=project.id,
            level=LogLevel.ERROR,
            message=f"The supervisor stopped unexpectedly; restarting it in {delay}s",
            instance_id=instance.id,
            data={"crashes": crashes},
        )

    def _restart_due(self, session: Session) -> None:
        now = time.monotonic()
        for project_id, when in list(self._restart_at.items()):
            if when > now:
                continue
            self._restart_at.pop(project_id, None)
            project = session.get(Project, project_id)
            if project is None or project.status not in ACTIVE_STATUSES:
                continue
            if self._live_instance(session, project) is not None:
                continue
            self._spawn(session, project, reason="Restarted after a crash")

    def shutdown(self) -> None:
        """Forget our children without stopping them: supervisors outlive the server."""
        self._children.clear()
