"""The log pump: new log rows and project state changes, fanned out to WebSocket subscribers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from autocode.models import LogEntry, LogPublic, Project

log = logging.getLogger(__name__)

QUEUE_LIMIT = 2000
PAGE = 500
MAX_PAGES = 20


@dataclass(eq=False)
class Subscription:
    """One viewer's feed of a project: log entries in id order and state-change signals."""

    project_id: int
    start_cursor: int
    queue: asyncio.Queue[LogPublic | None] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT + 1))
    state_changed: asyncio.Event = field(default_factory=asyncio.Event)
    overflowed: bool = False

    def push(self, entry: LogPublic | None) -> None:
        if self.overflowed:
            return
        if self.queue.qsize() >= QUEUE_LIMIT:
            # Too slow: stop feeding it; the socket closes and the client resumes by id.
            self.overflowed = True
            self.queue.put_nowait(None)
            return
        self.queue.put_nowait(entry)


class EventHub:
    """Reads new log rows and project changes when woken: by a supervisor's poke after it
    commits (:mod:`autocode.core.wake`), by the server's own commits, and by a slow safety poll
    for pokes that were lost."""

    def __init__(self, engine: Engine, *, safety_seconds: float = 5.0) -> None:
        self.engine = engine
        self.safety_seconds = safety_seconds
        self.cursor = 0
        self._subs: dict[int, set[Subscription]] = {}
        self._versions: dict[int, datetime | None] = {}
        self._woken = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending = False

    def _max_id(self) -> int:
        with Session(self.engine) as session:
            value = session.exec(select(func.max(LogEntry.id))).one()
            return int(value or 0)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.cursor = await asyncio.to_thread(self._max_id)

    def wake(self) -> None:
        """Something was committed: read what is new (safe from any thread)."""
        loop = self._loop
        if loop is None or self._pending:
            return  # not started yet (start reads the cursor), or a wake-up is on its way
        self._pending = True
        try:
            loop.call_soon_threadsafe(self._set)
        except RuntimeError:  # the loop is closed: the server is stopping
            self._pending = False

    def _set(self) -> None:
        self._pending = False
        self._woken.set()

    def subscribe(self, project_id: int) -> Subscription:
        sub = Subscription(project_id=project_id, start_cursor=self.cursor)
        self._subs.setdefault(project_id, set()).add(sub)
        # Rows committed while nobody listened are past the cursor: read them now, not at the next poke.
        self._woken.set()
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.project_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.project_id]
                self._versions.pop(sub.project_id, None)

    def _poll(self, project_ids: Sequence[int]) -> tuple[list[LogEntry], dict[int, datetime | None]]:
        with Session(self.engine) as session:
            rows = list(
                session.exec(
                    select(LogEntry).where(col(LogEntry.id) > self.cursor).order_by(col(LogEntry.id)).limit(PAGE)
                ).all()
            )
            versions = (
                dict(
                    session.exec(
                        select(Project.id, Project.updated_at).where(col(Project.id).in_(list(project_ids)))
                    ).all()
                )
                if project_ids
                else {}
            )
        return rows, {int(k): v for k, v in versions.items() if k is not None}

    async def run(self) -> None:
        """The pump: runs for the server's lifetime."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), self.safety_seconds)
            self._woken.clear()
            for _ in range(MAX_PAGES):  # a backlog is read page after page, bounded per wake
                try:
                    more = await self._tick()
                except asyncio.CancelledError:
                    raise
                except Exception:  # a bad tick must not end the pump
                    log.exception("event pump tick failed")
                    break
                if not more:
                    break
            else:
                self._woken.set()  # still more: carry on after letting the loop breathe

    async def _tick(self) -> bool:
        """Deliver what is new; True when a full page came (there may be more)."""
        if not self._subs:
            return False  # nobody listens; a new subscriber catches up from the database
        rows, versions = await asyncio.to_thread(self._poll, list(self._subs))
        for row in rows:
            assert row.id is not None
            self.cursor = max(self.cursor, row.id)
            subs = self._subs.get(row.project_id)
            if subs:
                entry = LogPublic.model_validate(row)
                for sub in list(subs):
                    sub.push(entry)
        for project_id, version in versions.items():
            # A project seen for the first time counts as changed: a viewer's connect snapshot
            # may predate this first look (a clone that ended in between would go unseen).
            if project_id not in self._versions or self._versions[project_id] != version:
                for sub in self._subs.get(project_id, ()):
                    sub.state_changed.set()
            self._versions[project_id] = version
        return len(rows) >= PAGE
