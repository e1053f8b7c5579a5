"""The live terminal: a WebSocket bridged to a `tmux attach` client on a pty."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from sqlmodel import Session

from autocode.api.deps import IdPath, ws_principal
from autocode.models import Project, User
from autocode.runtime.base import RuntimeErrorBase
from autocode.runtime.terminal import PtyClient, TerminalLimitReached
from autocode.services import projects as project_service
from autocode.services import runtime_policy, sessions
from autocode.services.auth import Principal
from autocode.services.errors import DomainError, NotFound, Unauthorized
from autocode.services.live import CLOSE_AUTH_ENDED, CLOSE_PROJECT_GONE, Ending, LiveSocket
from autocode.wiring import AppContext

log = logging.getLogger(__name__)
router = APIRouter(prefix="/ws", tags=["terminal"])

# Close codes a client can act on.
CLOSE_SESSION_ENDED = 4000
CLOSE_UNAUTHORIZED = CLOSE_AUTH_ENDED
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = CLOSE_PROJECT_GONE
CLOSE_TOO_MANY = 4429
CLOSE_RUNTIME_ERROR = 4500
ENDING_GRACE_SECONDS = 1.0


class ResizeMessage(BaseModel):
    type: Literal["resize"]
    cols: int = Field(ge=2, le=1000)
    rows: int = Field(ge=2, le=500)


class PingMessage(BaseModel):
    type: Literal["ping"]


ControlMessage = TypeAdapter(Annotated[ResizeMessage | PingMessage, Field(discriminator="type")])


@dataclass(frozen=True)
class Authorised:
    user: User
    project: Project
    live: LiveSocket


async def authorise(ws: WebSocket, ctx: AppContext, project_id: int, ticket: str | None) -> Authorised | None:
    """Redeem the ticket and load the project if it is the user's; close the socket otherwise.

    The socket is then registered, so it closes when its login or its project ends; the
    caller must `ctx.sockets.unregister(auth.live)` when it is done."""
    try:
        principal = await asyncio.to_thread(ws_principal, ctx, ticket)
    except DomainError as exc:
        await ws.close(CLOSE_UNAUTHORIZED, exc.message)
        return None
    user = principal.user

    def load() -> Project:
        with Session(ctx.engine) as session:
            return project_service.get_project(session, owner=user, project_id=project_id)

    try:
        project = await asyncio.to_thread(load)
    except DomainError as exc:
        await ws.close(CLOSE_NOT_FOUND, exc.message)
        return None
    assert user.id is not None and project.id is not None
    live = ctx.sockets.register(user_id=user.id, family=principal.family, project_id=project.id)
    # A session or project that ended between the checks above and the registration.
    try:
        await asyncio.to_thread(_still_valid, ctx, principal, project.id)
    except DomainError as exc:
        ctx.sockets.unregister(live)
        await ws.close(CLOSE_NOT_FOUND if isinstance(exc, NotFound) else CLOSE_UNAUTHORIZED, exc.message)
        return None
    return Authorised(user=user, project=project, live=live)


def _still_valid(ctx: AppContext, principal: Principal, project_id: int) -> None:
    with Session(ctx.engine) as session:
        user = session.get(User, principal.user.id)
        if user is None or user.token_version != principal.user.token_version:
            raise Unauthorized("Session ended")
        if session.get(Project, project_id) is None:
            raise NotFound("Project not found")


async def closed_by_server(ws: WebSocket, live: LiveSocket) -> None:
    """Wait until the socket's login or project ends, then close it with the reason's code."""
    ending = await asyncio.shield(live.ended)
    with suppress(RuntimeError, WebSocketDisconnect):
        await ws.close(ending.code, ending.reason)


@router.websocket("/projects/{project_id}/terminal")
async def terminal(
    ws: WebSocket,
    project_id: IdPath,
    ticket: str | None = None,
    mode: Literal["rw", "ro"] = "rw",
    window: sessions.Window | None = None,
    cols: Annotated[int, Query(ge=2, le=1000)] = 80,
    rows: Annotated[int, Query(ge=2, le=500)] = 24,
) -> None:
    ctx: AppContext = ws.app.state.ctx
    await ws.accept()
    auth = await authorise(ws, ctx, project_id, ticket)
    if auth is None:
        return
    user, project = auth.user, auth.project
    try:
        await _terminal(ws, ctx, auth, user, project, mode=mode, window=window, cols=cols, rows=rows)
    finally:
        ctx.sockets.unregister(auth.live)


async def _terminal(
    ws: WebSocket,
    ctx: AppContext,
    auth: Authorised,
    user: User,
    project: Project,
    *,
    mode: Literal["rw", "ro"],
    window: sessions.Window | None,
    cols: int,
    rows: int,
) -> None:
    try:
        runtime_policy.require_runtime(ctx.settings, user)
    except DomainError:
        await ws.close(CLOSE_FORBIDDEN, runtime_policy.LOCAL_RUNTIME_CLOSE_REASON)
        return
    readonly = mode == "ro"
    try:
        await asyncio.to_thread(sessions.ensure_session, ctx.runtime, user=user, project=project)
        shown = await asyncio.to_thread(sessions.pick_window, ctx.runtime, user=user, project=project, asked=window)
        argv = ctx.runtime.attach_argv(user.username, project.tmux_session, window=shown, readonly=readonly)
        client = await ctx.terminals.open(user.username, argv, cols=cols, rows=rows)
    except TerminalLimitReached as exc:
        await ws.close(CLOSE_TOO_MANY, str(exc))
        return
    except RuntimeErrorBase as exc:
        log.warning("terminal unavailable", extra={"project": project.id, "error": str(exc)})
        # A deletion or a sign-out ends the session's tmux too: say that, not "unavailable".
        await _close_with_reason(ws, auth.live, CLOSE_RUNTIME_ERROR, "terminal unavailable")
        return
    try:
        # Which window this terminal shows (the one asked for may not exist).
        await ws.send_json({"type": "window", "window": shown})
        await _bridge(ws, client, auth.live, readonly=readonly)
    finally:
        await ctx.terminals.release(client)


async def _ending(live: LiveSocket) -> Ending | None:
    """Why the socket's session ended, if it does within the grace (None: it did not)."""
    try:
        return await asyncio.wait_for(asyncio.shield(live.ended), ENDING_GRACE_SECONDS)
    except TimeoutError:
        return None


async def _close_with_reason(ws: WebSocket, live: LiveSocket, code: int, reason: str) -> None:
    ending = await _ending(live)
    if ending is not None:
        await ws.close(ending.code, ending.reason)
    else:
        await ws.close(code, reason)


async def _bridge(ws: WebSocket, client: PtyClient, live: LiveSocket, *, readonly: bool) -> None:
    async def output() -> None:
        while True:
            data = await client.read()
            if data is None:
                # Deleting a project or a user kills its tmux session a moment before the
                # socket is told why; give that reason the chance to be the close code.
                ending = await _ending(live)
                if ending is not None:
                    await ws.close(ending.code, ending.reason)
                    return
                await ws.send_json({"type": "exit"})
                await ws.close(CLOSE_SESSION_ENDED, "session ended")
                return
            await ws.send_bytes(data)

    async def input_() -> None:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("bytes")
            if data is not None:
                if not readonly:
                    await client.write(data)
                continue
            text = message.get("text")
            if text is None:
                continue
            try:
                control = ControlMessage.validate_json(text)
            except ValidationError:
                await ws.send_json({"type": "error", "detail": "unknown control message"})
                continue
            if isinstance(control, ResizeMessage):
                client.resize(control.cols, control.rows)
            else:
                await ws.send_json({"type": "pong"})

    tasks = [
        asyncio.create_task(output()),
        asyncio.create_task(input_()),
        asyncio.create_task(closed_by_server(ws, live)),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except (asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                pass
