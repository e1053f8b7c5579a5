"""Dependencies: the database session, the current user, admin guard, owned objects."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated

import anyio.to_thread
from fastapi import Depends, Path, Query, Request, Response, WebSocket
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator
from sqlmodel import Session

from autocode.core.config import Settings
from autocode.models import Agent, Project, User
from autocode.services import agents as agent_service
from autocode.services import auth as auth_service
from autocode.services import projects as project_service
from autocode.services.auth import Principal
from autocode.services.errors import Forbidden, NotFound, Unauthorized
from autocode.services.live import LiveSocket
from autocode.wiring import AppContext

_bearer = HTTPBearer(auto_error=False)

# Ids are SQLite integers: anything outside that range is invalid input, not a server error.
MAX_ID = 2**63 - 1
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]

# A path inside a workspace, as the files endpoints take it: bounded like the OS bounds it
# (PATH_MAX 4096, NAME_MAX 255 bytes a component), so an over-long one is a 422, not an
# ENAMETOOLONG deep in the file layer.
MAX_PATH_BYTES = 4096
MAX_NAME_BYTES = 255


def check_workspace_path(value: str) -> str:
    if "\x00" in value:
        raise ValueError("path must not contain NUL")
    if len(value.encode()) > MAX_PATH_BYTES:
        raise ValueError(f"path is longer than {MAX_PATH_BYTES} bytes")
    if any(len(part.encode()) > MAX_NAME_BYTES for part in value.split("/")):
        raise ValueError(f"a path component is longer than {MAX_NAME_BYTES} bytes")
    return value


WorkspacePath = Annotated[str, Query(max_length=MAX_PATH_BYTES), AfterValidator(check_workspace_path)]


async def get_context(request: Request) -> AppContext:
    # Dependencies that do no I/O are async: FastAPI would run a plain def in the thread pool.
    ctx: AppContext = request.app.state.ctx
    return ctx


ContextDep = Annotated[AppContext, Depends(get_context)]


async def get_settings(ctx: ContextDep) -> Settings:
    return ctx.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_db(ctx: ContextDep) -> AsyncIterator[Session]:
    # Making a session touches no database (a connection is taken at its first query): no thread
    # for that, and closing one that never connected costs nothing either.
    session = Session(ctx.engine, expire_on_commit=False)
    try:
        yield session
    finally:
        if session.in_transaction():
            await anyio.to_thread.run_sync(session.close)
        else:
            session.close()


SessionDep = Annotated[Session, Depends(get_db)]


def get_principal(
    ctx: ContextDep,
    session: SessionDep,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The user and login a bearer token speaks for: the user must still exist, the token's
    version must be the user's current one and its login (refresh family) must be alive."""
    return _principal(ctx, session, _bearer_token(creds))


def _bearer_token(creds: HTTPAuthorizationCredentials | None) -> str:
    if creds is None or creds.scheme.lower() != "bearer":
        raise Unauthorized("Not authenticated")
    return creds.credentials


def _principal(ctx: AppContext, session: Session, token: str) -> Principal:
    try:
        return auth_service.principal_from_access_token(session, keys=ctx.keys, token=token)
    except Unauthorized as exc:
        raise Unauthorized("Invalid or expired token") from exc


PrincipalDep = Annotated[Principal, Depends(get_principal)]
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def cached_read(
    ctx: AppContext, creds: HTTPAuthorizationCredentials | None, name: str, answer: Callable[[Session, User], bytes]
) -> Response:
    """A read-only answer for the bearer's user, served from `ctx.reads` while the database is
    unchanged (services/read_cache.py). A miss runs the same token check as every other route,
    then `answer`; an answer is never kept longer than its access token is valid. Personal API
    tokens are checked afresh every time."""
    token = _bearer_token(creds)
    key = (name, token)
    cached = ctx.reads.get(key)
    if cached is not None:
        return Response(content=cached, media_type="application/json")
    version = ctx.reads.version()

    def compute() -> tuple[bytes, float]:
        with Session(ctx.engine, expire_on_commit=False) as session:
            principal = _principal(ctx, session, token)
            out = answer(session, principal.user)
        if principal.is_token:
            return out, 0.0
        return out, ctx.keys.verify_access_token(token).expires_at - time.time()

    body, valid_for = await anyio.to_thread.run_sync(compute)
    ctx.reads.put(key, version=version, body=body, valid_for=valid_for)
    return Response(content=body, media_type="application/json")


async def get_session_principal(principal: PrincipalDep) -> Principal:
    """A principal signed in to the app: personal API tokens may not make tokens, change the
    password, manage stored keys or accounts, or end every session (403)."""
    if principal.is_token:
        raise Forbidden("A personal API token cannot do this; sign in to the app")
    return principal


SessionPrincipal = Annotated[Principal, Depends(get_session_principal)]


async def get_current_user(principal: PrincipalDep) -> User:
    return principal.user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_session_user(principal: SessionPrincipal) -> User:
    return principal.user


SessionUser = Annotated[User, Depends(get_session_user)]


async def get_admin(user: SessionUser) -> User:
    if not user.is_admin:
        raise Forbidden("Admins only")
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


def get_owned_job(job_id: IdPath, user: CurrentUser, session: SessionDep) -> Project:
    """A job is a project: the same 404 for one that is not yours."""
    return project_service.get_project(session, owner=user, project_id=job_id)


JobDep = Annotated[Project, Depends(get_owned_job)]


def ws_principal(ctx: AppContext, ticket: str | None) -> Principal:
    """Who a WebSocket ticket speaks for (single-use; checked like an access token)."""
    if not ticket:
        raise Unauthorized("Missing ticket")
    claims = ctx.tickets.redeem(ticket)
    with Session(ctx.engine, expire_on_commit=False) as session:
        return auth_service.authenticate(session, claims)


@dataclass(frozen=True)
class LiveProject:
    """An accepted WebSocket of a user on one of their projects, registered so it closes when
    its login or its project ends."""

    user: User
    principal: Principal
    project: Project
    live: LiveSocket


def _ws_project(ctx: AppContext, principal: Principal, project_id: int) -> Project:
    with Session(ctx.engine, expire_on_commit=False) as session:
        return project_service.get_project(session, owner=principal.user, project_id=project_id)


def _still_valid(ctx: AppContext, principal: Principal, project_id: int) -> None:
    with Session(ctx.engine) as session:
        user = session.get(User, principal.user.id)
        if user is None or user.token_version != principal.user.token_version:
            raise Unauthorized("Session ended")
        if session.get(Project, project_id) is None:
            raise NotFound("Project not found")


async def get_live_project(ws: WebSocket, project_id: IdPath, ticket: str | None = None) -> AsyncIterator[LiveProject]:
    """The WebSocket twin of ProjectDep: redeem the ticket, check the project is the user's.

    The socket is accepted first, so a refusal reaches the browser as a close code (the
    DomainError handler maps it: 4401, 4404, 4429) rather than a failed handshake."""
    ctx: AppContext = ws.app.state.ctx
    await ws.accept()
    principal = await asyncio.to_thread(ws_principal, ctx, ticket)
    project = await asyncio.to_thread(_ws_project, ctx, principal, project_id)
    live = ctx.sockets.register(user_id=project.user_id, family=principal.family, project_id=project_id)
    try:
        # A session or project that ended between the checks above and the registration.
        await asyncio.to_thread(_still_valid, ctx, principal, project_id)
        yield LiveProject(user=principal.user, principal=principal, project=project, live=live)
    finally:
        ctx.sockets.unregister(live)


LiveProjectDep = Annotated[LiveProject, Depends(get_live_project)]


def client_address(request: Request) -> str:
    """The client's address. Under `autocode serve`, uvicorn has already replaced the peer with
    the forwarded address only when the peer is in AUTOCODE_TRUSTED_PROXIES (nobody by default)."""
    return request.client.host if request.client else "unknown"
