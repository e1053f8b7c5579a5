"""The composition root: the long-lived objects of one server, made once in the lifespan and
reached through dependencies. The one module that knows every service; nothing below imports it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from autocode.core import db, layout
from autocode.core.config import Settings
from autocode.core.security import Keys, load_master_secret
from autocode.runtime import Runtime, runtime_for
from autocode.runtime.terminal import TerminalManager
from autocode.services import push as push_service
from autocode.services.auth import LoginThrottle, TicketStore
from autocode.services.events import EventHub
from autocode.services.health import HealthCache
from autocode.services.live import LiveSockets
from autocode.services.orchestrator import Orchestrator
from autocode.services.preview import PreviewAccess
from autocode.services.push import Notifier
from autocode.services.read_cache import ReadCache


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    keys: Keys
    throttle: LoginThrottle
    tickets: TicketStore
    runtime: Runtime
    terminals: TerminalManager
    events: EventHub
    orchestrator: Orchestrator
    notifier: Notifier
    preview: PreviewAccess
    health: HealthCache
    reads: ReadCache
    sockets: LiveSockets = field(default_factory=LiveSockets)


def build_context(settings: Settings) -> AppContext:
    settings.data_path.mkdir(parents=True, exist_ok=True)
    _make_private(settings.data_path)
    engine = db.make_engine(settings.database_url)
    keys = Keys.from_master(load_master_secret(settings))
    runtime = runtime_for(settings)
    sender = push_service.Sender(settings=settings, engine=engine, vapid=push_service.load_vapid_key(settings))
    return AppContext(
        settings=settings,
        engine=engine,
        keys=keys,
        throttle=LoginThrottle(
            max_failures=settings.login_max_failures,
            window_seconds=settings.login_window_seconds,
            max_keys=settings.throttle_max_keys,
        ),
        tickets=TicketStore(lifetime_seconds=settings.ws_ticket_seconds),
        runtime=runtime,
        terminals=TerminalManager(per_user=settings.terminals_per_user),
        events=EventHub(engine, safety_seconds=settings.events_safety_poll_seconds),
        orchestrator=Orchestrator(settings=settings, engine=engine, keys=keys, runtime=runtime),
        notifier=push_service.Notifier(settings, engine, sender, keys),
        preview=PreviewAccess(settings=settings, engine=engine, runtime=runtime),
        health=HealthCache(settings=settings, engine=engine, runtime=runtime),
        reads=ReadCache(db.DataVersion(engine).current),
        sockets=LiveSockets(per_user=settings.sockets_per_user),
    )


def _make_private(data_dir: Path) -> None:
    """The data directory and the database are the service user's alone (older installs made
    them 0755/0644; `autocode serve` also runs with umask 077 so new files start private)."""
    data_dir.chmod(0o700)
    for name in (*layout.DATABASE_FILES, layout.SECRET_KEY, layout.VAPID_KEY):
        path = data_dir / name
        if path.is_file() and not path.is_symlink():
            path.chmod(0o600)
