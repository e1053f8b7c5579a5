"""Accounts: the first admin, creation, password resets, disabling and deletion (admin only)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from autocode.core.security import generate_password, hash_password
from autocode.models import ACTIVE_STATUSES, USERNAME_PATTERN, Agent, Project, User
from autocode.runtime import Runtime
from autocode.services import workspaces
from autocode.services.auth import logout_all
from autocode.services.errors import Conflict, Forbidden, Invalid, NotFound
from autocode.services.live import LiveSockets
from autocode.services.orchestrator import Orchestrator

_USERNAME = re.compile(USERNAME_PATTERN)
DISABLED_STOP = "Stopped: the account was disabled"


@dataclass(frozen=True)
class UserCounts:
    user: User
    agent_count: int
    project_count: int


def validate_username(username: str) -> str:
    if not _USERNAME.fullmatch(username):
        raise Invalid("Username must be 2-32 characters: lowercase letters, digits, '-' or '_', starting with a letter")
    return username


def create_user(session: Session, *, data_dir: Path, username: str, password: str, is_admin: bool) -> User:
    validate_username(username)
    if len(password) < 8:
        raise Invalid("Password must be at least 8 characters")
    if session.exec(select(User).where(User.username == username)).first() is not None:
        raise Conflict(f"User '{username}' already exists")
    user = User(username=username, password_hash=hash_password(password), is_admin=is_admin)
    session.add(user)
    session.commit()
    session.refresh(user)
    workspaces.ensure_user_dirs(data_dir, username)
    return user


def list_users(session: Session) -> list[UserCounts]:
    agents = dict(session.exec(select(Agent.user_id, func.count()).group_by(col(Agent.user_id))).all())
    projects = dict(session.exec(select(Project.user_id, func.count()).group_by(col(Project.user_id))).all())
    users = session.exec(select(User).order_by(col(User.id))).all()
    return [
        UserCounts(user=u, agent_count=agents.get(u.id or 0, 0), project_count=projects.get(u.id or 0, 0))
        for u in users
    ]


def delete_user(
    session: Session,
    *,
    data_dir: Path,
    runtime: Runtime,
    sockets: LiveSockets,
    actor: User,
    user_id: int,
) -> User:
    """Stop the user's sessions and environment, then remove their rows and files.

    Their access tokens die with the row (ids are never reused, so no later user matches) and
    their open sockets are closed."""
    target = session.get(User, user_id)
    if target is None:
        raise NotFound("User not found")
    if target.id == actor.id:
        raise Forbidden("You cannot delete your own account")
    if target.is_admin:
        admins = session.exec(select(func.count()).select_from(User).where(col(User.is_admin))).one()
        if admins <= 1:
            raise Forbidden("Cannot delete the last admin")
    agent_ids = [a.id for a in session.exec(select(Agent).where(Agent.user_id == target.id)).all()]
    project_ids = [p.id for p in session.exec(select(Project).where(Project.user_id == target.id)).all()]
    # Sockets first: removing the environment ends their terminals, and they should learn why.
    sockets.end_user(user_id)
    runtime.remove_user(target.username)
    session.delete(target)
    session.commit()
    sockets.end_user(user_id)  # and any opened while the environment was being removed
    workspaces.remove_user_dirs(data_dir, target.username)
    for agent_id in agent_ids:
        if agent_id is not None:
            workspaces.remove_agent_dir(data_dir, agent_id)
    for project_id in project_ids:
        if project_id is not None:
            workspaces.remove_project_state(data_dir, project_id)
    return target


def find_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("User not found")
    return user


def reset_password(
    session: Session, *, sockets: LiveSockets, user: User, password: str, actor: User | None = None
) -> User:
    """Set a new password chosen by an admin (or on the command line: no actor); every login of
    that user ends. An admin's own password changes in Settings, where the current one is asked."""
    if actor is not None and actor.id == user.id:
        raise Forbidden("Change your own password in Settings")
    if len(password) < 8:
        raise Invalid("Password must be at least 8 characters")
    user.password_hash = hash_password(password)
    session.add(user)
    logout_all(session, sockets=sockets, user=user)
    session.refresh(user)
    return user


def set_disabled(
    session: Session,
    *,
    sockets: LiveSockets,
    orchestrator: Orchestrator,
    actor: User,
    user: User,
    disabled: bool,
) -> User:
    """Disable or re-enable an account. Disabling ends every login and socket of it at once and
    stops its running projects (paused, "Stopped: the account was disabled"); enabling again
    starts nothing."""
    if disabled and user.id == actor.id:
        raise Forbidden("You cannot disable your own account")
    if disabled and user.is_admin and not user.disabled:
        enabled_admins = session.exec(
            select(func.count()).select_from(User).where(col(User.is_admin), col(User.disabled).is_(False))
        ).one()
        if enabled_admins <= 1:
            raise Forbidden("Cannot disable the last admin")
    user.disabled = disabled
    session.add(user)
    session.commit()
    if disabled:
        logout_all(session, sockets=sockets, user=user)
        running = session.exec(
            select(Project)
            .where(Project.user_id == user.id)
            .where(col(Project.status).in_([s.value for s in ACTIVE_STATUSES]))
        ).all()
        for project in running:
            orchestrator.stop(session, user=user, project=project, reason=DISABLED_STOP)
    session.refresh(user)
    return user


@dataclass(frozen=True)
class BootstrapResult:
    username: str
    password: str | None  # set only when it was generated and must be shown once


def ensure_first_admin(
    session: Session, *, data_dir: Path, username: str, password: str | None
) -> BootstrapResult | None:
    """With no users at all, create the admin (generating a password when none is given)."""
    if session.exec(select(User).limit(1)).first() is not None:
        return None
    generated = password is None
    secret = password if password is not None else generate_password()
    create_user(session, data_dir=data_dir, username=username, password=secret, is_admin=True)
    return BootstrapResult(username=username, password=secret if generated else None)
