"""The live terminal: a WebSocket bridged to a `tmux attach` client on a pty."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from sqlmodel import Session

from autocode.api.deps import ws_user
from autocode.core.context import AppContext
from autocode.models import Project, User
from autocode.runtime.base import RuntimeErrorBase
from autocode.runtime.terminal import PtyClient, TerminalLimitReached
from autocode.services import projects as project_service
from autocode.services import runtime_policy, sessions
from autocode.services.errors import DomainError

log = logging.getLogger(__name__)
router = APIRouter(prefix="/ws", tags=["terminal"])

# Close codes a client can act on.
CLOSE_SESSION_ENDED = 4000
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_MANY = 4429
CLOSE_RUNTIME_ERROR = 4500


class ResizeMessage(BaseModel):
    type: Literal["resize"]
    cols: int = Field(ge=2, le=1000)
    rows: int = Field(ge=2, le=500)


class PingMessage(BaseModel):
    type: Literal["ping"]


ControlMessage = TypeAdapter(
    Annotated[ResizeMessage | PingMessage, Field(discriminator="type")]
)


async def authorise(ws: WebSocket, ctx: AppContext, project_id: int, ticket: str | None) -> tuple[User, Project] | None:
    """Redeem the ticket and load the project if it is the user's; close the socket otherwise."""
    try:
        user = await asyncio.to_thread(ws_user, ctx, ticket)
    except DomainError as exc:
        await ws.close(CLOSE_UNAUTHORIZED, exc.message)
        return None

    def load() -> Project:
        with Session(ctx.engine) as session:
            return project_service.get_project(session, owner=user, project_id=project_id)

    try:
        project = await asyncio.to_thread(load)
    except DomainError as exc:
        await ws.close(CLOSE_NOT_FOUND, exc.message)
        return None
    return user, project


@router.websocket("/projects/{project_id}/terminal")
async def terminal(
    ws: WebSocket,
    project_id: int,
    ticket: str | None = None,
    mode: Literal["rw", "ro"] = "rw",
    cols: Annotated[int, Query(ge=2, le=1000)] = 80,
    rows: Annotated[int, Query(ge=2, le=500)] = 24,
) -> None:
    ctx: AppContext = ws.app.state.ctx
    await ws.accept()
    auth = await authorise(ws, ctx, project_id, ticket)
    if auth is None:
        return
    user, project = auth
    try:
        runtime_policy.require_runtime(ctx.settings, user)
    except DomainError:
        await ws.close(CLOSE_FORBIDDEN, runtime_policy.LOCAL_RUNTIME_CLOSE_REASON)
        return
    readonly = mode == "ro"
    try:
        await asyncio.to_thread(sessions.ensure_session, ctx.runtime, user=user, project=project)
        argv = ctx.runtime.attach_argv(user.username, project.tmux_session, readonly=readonly)
        client = await ctx.terminals.open(user.username, argv, cols=cols, rows=rows)
    except TerminalLimitReached as exc:
        await ws.close(CLOSE_TOO_MANY, str(exc))
        return
    except RuntimeErrorBase as exc:
        log.warning("terminal unavailable", extra={"project": project_id, "error": str(exc)})
        await ws.close(CLOSE_RUNTIME_ERROR, "terminal unavailable")
        return
    try:
        await _bridge(ws, client, readonly=readonly)
    finally:
        await ctx.terminals.release(client)


async def _bridge(ws: WebSocket, client: PtyClient, *, readonly: bool) -> None:
    async def output() -> None:
        while True:
            data = await client.read()
            if data is None:
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

    tasks = [asyncio.create_task(output()), asyncio.create_task(input_())]
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
