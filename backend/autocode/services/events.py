"""The log pump: new log rows and project state changes, fanned out to WebSocket subscribers."""

from __future__ import annotations

import asyncio
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
    """Polls SQLite for new log rows (written by supervisors in other processes)."""

    def __init__(self, engine: Engine, *, interval: float = 0.1) -> None:
        self.engine = engine
        self.interval = interval
        self.cursor = 0
        self._subs: dict[int, set[Subscription]] = {}
        self._versions: dict[int, datetime | None] = {}

    def _max_id(self) -> int:
        with Session(self.engine) as session:
            value = session.exec(select(func.max(LogEntry.id))).one()
            return int(value or 0)

    async def start(self) -> None:
        self.cursor = await asyncio.to_thread(self._max_id)

    def subscribe(self, project_id: int) -> Subscription:
        sub = Subscription(project_id=project_id, start_cursor=self.cursor)
        self._subs.setdefault(project_id, set()).add(sub)
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
            try:
                await self._tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bad tick must not end the pump
                log.exception("event pump tick failed")
            await asyncio.sleep(self.interval)

    async def _tick(self) -> None:
        if not self._subs:
            return  # nobody listens; a new subscriber catches up from the database
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
