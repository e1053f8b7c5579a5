"""Dependencies: the database session, the current user, admin guard, owned objects."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from autocode.core.config import Settings
from autocode.core.context import AppContext
from autocode.models import Agent, Project, User
from autocode.services import agents as agent_service
from autocode.services import projects as project_service
from autocode.services.errors import Unauthorized

_bearer = HTTPBearer(auto_error=False)

# Ids are SQLite integers: anything outside that range is invalid input, not a server error.
IdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]


def get_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


ContextDep = Annotated[AppContext, Depends(get_context)]


def get_settings(ctx: ContextDep) -> Settings:
    return ctx.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_db(ctx: ContextDep) -> Iterator[Session]:
    with Session(ctx.engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db)]


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


def get_current_user(
    ctx: ContextDep,
    session: SessionDep,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    if creds is None or creds.scheme.lower() != "bearer":
        raise unauthorized("Not authenticated")
    try:
        user_id = ctx.keys.verify_access_token(creds.credentials)
    except Exception as exc:  # any decode failure is the same answer to the caller
        raise unauthorized("Invalid or expired token") from exc
    user = session.get(User, user_id)
    if user is None:
        raise unauthorized("Invalid or expired token")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_admin(user: CurrentUser) -> User:
    if not user.is_admin:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Admins only")
    return user


AdminUser = Annotated[User, Depends(get_admin)]


def get_owned_agent(agent_id: IdPath, user: CurrentUser, session: SessionDep) -> Agent:
    """The one place that answers 404 for an agent that is not yours."""
    return agent_service.get_agent(session, owner=user, agent_id=agent_id)


AgentDep = Annotated[Agent, Depends(get_owned_agent)]


def get_owned_project(project_id: IdPath, user: CurrentUser, session: SessionDep) -> Project:
    """The one place that answers 404 for a project that is not yours."""
    return project_service.get_project(session, owner=user, project_id=project_id)


ProjectDep = Annotated[Project, Depends(get_owned_project)]


def ws_user(ctx: AppContext, ticket: str | None) -> User:
    """The user a WebSocket ticket belongs to (tickets are single-use)."""
    if not ticket:
        raise Unauthorized("Missing ticket")
    user_id = ctx.tickets.redeem(ticket)
    with Session(ctx.engine) as session:
        user = session.get(User, user_id)
    if user is None:
        raise Unauthorized("Unknown user")
    return user


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"

