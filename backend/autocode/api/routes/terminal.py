"""The live terminal: a WebSocket bridged to a `tmux attach` client on a pty."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import Annotated, Literal

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from autocode.api.deps import LiveProject, LiveProjectDep
from autocode.runtime.base import RuntimeErrorBase
from autocode.runtime.terminal import PtyClient, TerminalLimitReached
from autocode.services import runtime_policy, sessions
from autocode.services.errors import Forbidden, Throttled
from autocode.services.live import Ending, LiveSocket
from autocode.wiring import AppContext
from autocode.ws_protocol import (
    CloseCode,
    ErrorFrame,
    ExitFrame,
    PongFrame,
    ResizeFrame,
    TerminalClientFrame,
    WindowFrame,
)

log = logging.getLogger(__name__)
router = APIRouter(prefix="/ws", tags=["terminal"])

ENDING_GRACE_SECONDS = 1.0


async def closed_by_server(ws: WebSocket, live: LiveSocket) -> None:
    """Wait until the socket's login or project ends, then close it with the reason's code."""
    ending = await asyncio.shield(live.ended)
    with suppress(RuntimeError, WebSocketDisconnect):
        await ws.close(ending.code, ending.reason)


@router.websocket("/projects/{project_id}/terminal")
async def terminal(
    ws: WebSocket,
    auth: LiveProjectDep,
    mode: Literal["rw", "ro"] = "rw",
    window: sessions.Window | None = None,
    cols: Annotated[int, Query(ge=2, le=1000)] = 80,
    rows: Annotated[int, Query(ge=2, le=500)] = 24,
) -> None:
    """Binary frames carry the terminal's bytes both ways; text frames carry the JSON control
    frames of ws_protocol (TerminalClientFrame in, TerminalServerFrame out)."""
    ctx: AppContext = ws.app.state.ctx
    await _terminal(ws, ctx, auth, mode=mode, window=window, cols=cols, rows=rows)


async def _terminal(
    ws: WebSocket,
    ctx: AppContext,
    auth: LiveProject,
    *,
    mode: Literal["rw", "ro"],
    window: sessions.Window | None,
    cols: int,
    rows: int,
) -> None:
    user, project = auth.user, auth.project
    try:
        runtime_policy.require_runtime(ctx.settings, user)
    except Forbidden as exc:
        raise Forbidden(runtime_policy.LOCAL_RUNTIME_CLOSE_REASON) from exc
    readonly = mode == "ro"
    try:
        await asyncio.to_thread(sessions.ensure_session, ctx.runtime, user=user, project=project)
        shown = await asyncio.to_thread(sessions.pick_window, ctx.runtime, user=user, project=project, asked=window)
        argv = ctx.runtime.attach_argv(user.username, project.tmux_session, window=shown, readonly=readonly)
        client = await ctx.terminals.open(user.username, argv, cols=cols, rows=rows)
    except TerminalLimitReached as exc:
        raise Throttled(str(exc), retry_after=5) from exc
    except RuntimeErrorBase as exc:
        log.warning("terminal unavailable", extra={"project": project.id, "error": str(exc)})
        # A deletion or a sign-out ends the session's tmux too: say that, not "unavailable".
        await _close_with_reason(ws, auth.live, CloseCode.RUNTIME_ERROR, "terminal unavailable")
        return
    try:
        # Which window this terminal shows (the one asked for may not exist).
        await _send(ws, WindowFrame(window=shown))
        await _bridge(ws, client, auth.live, readonly=readonly)
    finally:
        await ctx.terminals.release(client)


async def _ending(live: LiveSocket) -> Ending | None:
    """Why the socket's session ended, if it does within the grace (None: it did not)."""
    try:
        return await asyncio.wait_for(asyncio.shield(live.ended), ENDING_GRACE_SECONDS)
    except TimeoutError:
        return None


async def _send(ws: WebSocket, frame: WindowFrame | ExitFrame | PongFrame | ErrorFrame) -> None:
    await ws.send_text(frame.model_dump_json())


async def _close_with_reason(ws: WebSocket, live: LiveSocket, code: CloseCode, reason: str) -> None:
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
                await _send(ws, ExitFrame())
                await ws.close(CloseCode.SESSION_ENDED, "session ended")
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
                control = TerminalClientFrame.model_validate_json(text).root
            except ValidationError:
                await _send(ws, ErrorFrame(detail="unknown control message"))
                continue
            if isinstance(control, ResizeFrame):
                client.resize(control.cols, control.rows)
            else:
                await _send(ws, PongFrame())

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
