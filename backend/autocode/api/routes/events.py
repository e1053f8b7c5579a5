"""A project's live events: log entries and state snapshots, resumable by id."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from sqlmodel import Session

from autocode.api.deps import MAX_ID, LiveProjectDep
from autocode.api.routes.terminal import closed_by_server
from autocode.models import LogPublic, Project, ProjectPublic, pk
from autocode.services import projects as project_service
from autocode.services.errors import NotFound
from autocode.services.events import Subscription
from autocode.wiring import AppContext
from autocode.ws_protocol import CloseCode, LogFrame, StateFrame

log = logging.getLogger(__name__)
router = APIRouter(prefix="/ws", tags=["events"])

CATCH_UP_PAGE = 500


@router.websocket("/projects/{project_id}/events")
async def events(
    ws: WebSocket,
    auth: LiveProjectDep,
    after_id: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> None:
    """Sends a LogFrame for each log row after `after_id`, in order, and a StateFrame on
    connect and whenever the project changes (its id is the last log id sent, so resuming
    with the last id seen loses and repeats nothing)."""
    ctx: AppContext = ws.app.state.ctx
    project = auth.project
    sub = ctx.events.subscribe(auth.live.project_id)
    watcher = asyncio.create_task(closed_by_server(ws, auth.live))
    try:
        await _serve(ws, ctx, project, sub, after_id, watcher)
    except (WebSocketDisconnect, RuntimeError):
        pass  # the client left, or the server closed the socket under the sender
    finally:
        watcher.cancel()
        ctx.events.unsubscribe(sub)


def _snapshot(ctx: AppContext, project_id: int) -> ProjectPublic | None:
    with Session(ctx.engine) as session:
        project = session.get(Project, project_id)
        return None if project is None else project_service.to_public(session, project)


def _page(ctx: AppContext, project: Project, after: int, upto: int) -> list[LogPublic]:
    with Session(ctx.engine) as session:
        rows = project_service.list_logs(session, project=project, after_id=after, limit=CATCH_UP_PAGE)
    return [LogPublic.model_validate(r) for r in rows if r.id is not None and r.id <= upto]


async def _serve(
    ws: WebSocket,
    ctx: AppContext,
    project: Project,
    sub: Subscription,
    after_id: int,
    watcher: asyncio.Task[None],
) -> None:
    last = after_id
    # Catch up from the database to where the live feed starts, then follow the feed.
    while True:
        page = await asyncio.to_thread(_page, ctx, project, last, sub.start_cursor)
        for entry in page:
            await _send(ws, LogFrame(id=entry.id, entry=entry))
            last = entry.id
        if len(page) < CATCH_UP_PAGE:
            break
    snapshot = await asyncio.to_thread(_snapshot, ctx, pk(project))
    if snapshot is None:
        raise NotFound("Project not found")
    await _send(ws, StateFrame(id=last, project=snapshot))

    receiver = asyncio.create_task(_drain_client(ws))
    try:
        while not receiver.done() and not watcher.done():
            getter = asyncio.create_task(sub.queue.get())
            changed = asyncio.create_task(sub.state_changed.wait())
            done, pending = await asyncio.wait(
                {getter, changed, receiver, watcher}, return_when=asyncio.FIRST_COMPLETED
            )
            for task in pending:
                if task is not receiver and task is not watcher:
                    task.cancel()
            if watcher in done:
                return  # the login or the project ended; the watcher closed the socket
            if getter in done:
                item = getter.result()
                if item is None:
                    await ws.close(CloseCode.TOO_SLOW, "Too far behind; reconnect with after_id")
                    return
                if item.id > last:
                    await _send(ws, LogFrame(id=item.id, entry=item))
                    last = item.id
            if changed in done or sub.state_changed.is_set():
                sub.state_changed.clear()
                snapshot = await asyncio.to_thread(_snapshot, ctx, pk(project))
                if snapshot is None:
                    raise NotFound("Project not found")
                await _send(ws, StateFrame(id=last, project=snapshot))
    finally:
        receiver.cancel()


async def _send(ws: WebSocket, frame: LogFrame | StateFrame) -> None:
    await ws.send_text(frame.model_dump_json())


async def _drain_client(ws: WebSocket) -> None:
    """Read (and ignore) what the client sends, so a disconnect is noticed."""
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
