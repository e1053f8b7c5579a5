"""Projects: creation with their workspace, edits, deletion, logs, the public view."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

from pydantic import TypeAdapter
from sqlmodel import Session, col, func, or_, select

from autocode.models import (
    ACTIVE_STATUSES,
    Agent,
    AgentInstance,
    InstancePublic,
    LogEntry,
    LogLevel,
    PlanStep,
    Project,
    ProjectCreate,
    ProjectPublic,
    ProjectStatus,
    ProjectUpdate,
    StepStatus,
    User,
    pk,
    utcnow,
)
from autocode.runtime import Runtime, session_name
from autocode.services import git_urls, plan_rules, status_rules, workspaces
from autocode.services.errors import Conflict, DomainError, Invalid, NotFound

MAX_LOG_PAGE = 1000


def slugify(name: str) -> str:
    """A filesystem- and tmux-safe slug (no dots or colons) from a display name."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40].strip("-")
    return slug or "project"


def list_projects(session: Session, *, owner: User, agent_id: int | None = None) -> list[Project]:
    stmt = select(Project).where(Project.user_id == owner.id)
    if agent_id is not None:
        stmt = stmt.where(Project.agent_id == agent_id)
    return list(session.exec(stmt.order_by(col(Project.id))).all())


def get_project(session: Session, *, owner: User, project_id: int) -> Project:
    """A project of this owner; anyone else's is simply not found."""
    project = session.get(Project, project_id)
    if project is None or project.user_id != owner.id:
        raise NotFound("Project not found")
    return project


def _plan(steps: list[object]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for step in steps:
        title = getattr(step, "title")  # noqa: B009 - steps of several request shapes
        detail = getattr(step, "detail", "")
        out.append({"title": title, "detail": detail, "status": StepStatus.PENDING.value})
    return out


def _unique_slug(session: Session, *, owner: User, base: str) -> str:
    taken = set(session.exec(select(Project.slug).where(Project.user_id == owner.id)).all())
    if base not in taken:
        return base
    for n in range(2, 1000):
        candidate = f"{base[: 40 - len(str(n)) - 1]}-{n}"
        if candidate not in taken:
            return candidate
    raise Conflict("Too many projects with this name")


def check_git_url(raw: str, *, production: bool) -> git_urls.GitUrl:
    """A repository address a project may start from, or Invalid (a 422) saying why not."""
    try:
        return git_urls.check_git_url(raw, production=production)
    except git_urls.GitUrlRefused as exc:
        raise Invalid(str(exc)) from None


def create_project(
    session: Session,
    *,
    data_dir: Path,
    owner: User,
    agent: Agent,
    data: ProjectCreate,
    production: bool = True,
) -> Project:
    """Create a project and its folder. With `data.git_url` (checked; private addresses are
    refused when `production`) the folder starts empty and the project is "cloning": the
    orchestrator's clone fills it (CLAUDE.md is written once the clone is done)."""
    git = check_git_url(data.git_url, production=production) if data.git_url is not None else None
    if data.slug is not None:
        slug = data.slug
        exists = session.exec(select(Project).where(Project.user_id == owner.id, Project.slug == slug)).first()
        if exists is not None:
            raise Conflict(f"You already have a project with the slug '{slug}'")
    else:
        slug = _unique_slug(session, owner=owner, base=slugify(data.name))
    root = workspaces.project_dir(data_dir, owner.username, slug)
    project = Project(
        user_id=pk(owner),
        agent_id=pk(agent),
        name=data.name,
        slug=slug,
        description=data.description,
        architecture=data.architecture,
        implementation_plan=_plan(list(data.implementation_plan)),
        tmux_session=session_name(owner.username, slug),
        workspace_path=str(root),
        budget_tokens=data.budget_tokens,
        git_url=git.url if git is not None else None,
        status=(ProjectStatus.CLONING if git is not None else ProjectStatus.CREATED).value,
    )
    workspaces.layout_project(data_dir, username=owner.username, project=project, empty=git is not None)
    session.add(project)
    session.commit()
    session.refresh(project)
    workspaces.write_brain_files(
        data_dir, agent=agent, project=project, rules=workspaces.read_rules(data_dir, pk(agent))
    )
    return project


def update_project(session: Session, *, data_dir: Path, owner: User, project: Project, data: ProjectUpdate) -> Project:
    changes = data.model_dump(exclude_unset=True)
    for key in ("name", "description", "architecture"):
        if key in changes and changes[key] is None:
            raise Invalid(f"{key} cannot be null")
    if "implementation_plan" in changes:
        if project.status in ACTIVE_STATUSES:
            raise Conflict("Stop the project before replacing its plan")
        if changes["implementation_plan"] is None:
            raise Invalid("implementation_plan cannot be null")
        # Steps that already happened stay as they were: only the pending ones are replaced.
        steps = [(s.title, s.detail) for s in data.implementation_plan or []]
        plan = _apply(lambda: plan_rules.replace_pending(project.implementation_plan, steps))
        project.implementation_plan = plan
        project.current_step = plan_rules.next_step(plan)
    for key in ("name", "description", "architecture", "budget_tokens"):
        if key in changes:
            setattr(project, key, changes[key])
    return _save(session, data_dir=data_dir, owner=owner, project=project)


def _save(session: Session, *, data_dir: Path, owner: User, project: Project) -> Project:
    """Store a changed project and rewrite what is derived from it (CLAUDE.md, identity)."""
    project.updated_at = utcnow()
    session.add(project)
    session.commit()
    session.refresh(project)
    agent = session.get(Agent, project.agent_id)
    if agent is not None:
        workspaces.refresh_project_docs(data_dir, username=owner.username, agent=agent, project=project)
    return project


def _apply(change: Callable[[], plan_rules.Plan]) -> plan_rules.Plan:
    """Run a plan rule, turning its refusal into the error the API maps to a status."""
    try:
        return change()
    except plan_rules.PlanRuleError as exc:
        error: type[DomainError] = {"not_found": NotFound, "conflict": Conflict}.get(exc.kind, Invalid)
        raise error(exc.message) from None


def change_plan(
    session: Session,
    *,
    data_dir: Path,
    owner: User,
    project: Project,
    change: Callable[[plan_rules.Plan], plan_rules.Plan],
) -> Project:
    """Change the pending steps of a stopped project's plan (the rules are in plan_rules)."""
    session.refresh(project)
    if project.status in ACTIVE_STATUSES:
        raise Conflict("Stop the project before changing its plan (or send Claude Code an instruction)")
    plan = _apply(lambda: change(project.implementation_plan))
    project.implementation_plan = plan
    project.current_step = plan_rules.next_step(plan)
    return _save(session, data_dir=data_dir, owner=owner, project=project)


def delete_project(session: Session, *, data_dir: Path, runtime: Runtime, owner: User, project: Project) -> None:
    """Delete a stopped project: its terminal session, its rows, its workspace."""
    if project.status in ACTIVE_STATUSES:
        raise Conflict("Stop the project before deleting it")
    if project.status == ProjectStatus.CLONING.value:
        raise Conflict("The repository is being cloned; delete the project once the clone ends")
    runtime.kill_session(owner.username, project.tmux_session)
    project_id = project.id
    session.delete(project)
    session.commit()
    workspaces.remove_project_dir(data_dir, owner.username, project.slug, project_id)


def latest_instance(session: Session, project_id: int) -> AgentInstance | None:
    return session.exec(
        select(AgentInstance)
        .where(AgentInstance.project_id == project_id)
        .order_by(col(AgentInstance.id).desc())
        .limit(1)
    ).first()


def latest_instances(session: Session, project_ids: list[int]) -> dict[int, AgentInstance]:
    """The latest instance of each of these projects, in one query."""
    if not project_ids:
        return {}
    newest = (
        select(func.max(AgentInstance.id))
        .where(col(AgentInstance.project_id).in_(project_ids))
        .group_by(col(AgentInstance.project_id))
    )
    rows = session.exec(select(AgentInstance).where(col(AgentInstance.id).in_(newest))).all()
    return {row.project_id: row for row in rows}


def to_public(session: Session, project: Project) -> ProjectPublic:
    return _public(project, latest_instance(session, pk(project)))


_PUBLIC_LIST = TypeAdapter(list[ProjectPublic])


def projects_json(session: Session, owner: User) -> bytes:
    """The owner's projects as the JSON `GET /api/projects` answers."""
    return _PUBLIC_LIST.dump_json(to_public_many(session, list_projects(session, owner=owner)))


def to_public_many(session: Session, projects: list[Project]) -> list[ProjectPublic]:
    """Public views of many projects with a fixed number of queries (not one per project)."""
    instances = latest_instances(session, [pk(p) for p in projects])
    return [_public(p, instances.get(pk(p))) for p in projects]


def _public(project: Project, instance: AgentInstance | None) -> ProjectPublic:
    public = ProjectPublic.model_validate(project)
    public.implementation_plan = [PlanStep.model_validate(s) for s in project.implementation_plan]
    public.instance = InstancePublic.model_validate(instance) if instance is not None else None
    public.reason = status_rules.reason(
        status=ProjectStatus(project.status),
        recorded=project.status_kind,
        message=project.status_reason,
        resume_at=project.resume_at,
    )
    return public


def list_logs(
    session: Session,
    *,
    project: Project,
    after_id: int = 0,
    level: LogLevel | None = None,
    limit: int = 200,
) -> list[LogEntry]:
    """A page of a project's logs, oldest first, after a given id."""
    stmt = select(LogEntry).where(LogEntry.project_id == project.id).where(col(LogEntry.id) > after_id)
    if level is not None:
        stmt = stmt.where(LogEntry.level == level.value)
    stmt = stmt.order_by(col(LogEntry.id)).limit(max(1, min(limit, MAX_LOG_PAGE)))
    return list(session.exec(stmt).all())


def list_activity(session: Session, *, project: Project, after_id: int = 0, limit: int = 200) -> list[LogEntry]:
    """A page of a project's activity feed, oldest first, after a given id: the log rows that
    carry an activity item (what Claude Code said and did, questions, answers) and the
    supervisor's decisions between them."""
    stmt = (
        select(LogEntry)
        .where(LogEntry.project_id == project.id)
        .where(col(LogEntry.id) > after_id)
        .where(
            or_(
                LogEntry.level == LogLevel.AGENT_DECISION.value,
                func.json_extract(LogEntry.data, "$.activity").is_not(None),
            )
        )
        .order_by(col(LogEntry.id))
        .limit(max(1, min(limit, MAX_LOG_PAGE)))
    )
    return list(session.exec(stmt).all())


def add_log(
    session: Session,
    *,
    project_id: int,
    level: LogLevel,
    message: str,
    data: dict[str, object] | None = None,
    instance_id: int | None = None,
) -> LogEntry:
    entry = LogEntry(
        project_id=project_id,
        agent_instance_id=instance_id,
        level=level.value,
        message=message,
        data=data,
    )
    session.add(entry)
    session.commit()
    session.refresh(entry)
    return entry
