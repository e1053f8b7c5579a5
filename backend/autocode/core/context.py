"""Long-lived objects made once per server in the lifespan and reached through dependencies."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from autocode.core.config import Settings
from autocode.core.security import Keys
from autocode.runtime import Runtime
from autocode.runtime.terminal import TerminalManager
from autocode.services.auth import LoginThrottle, TicketStore
from autocode.services.events import EventHub
from autocode.services.live import LiveSockets
from autocode.services.orchestrator import Orchestrator
from autocode.services.preview import PreviewAccess
from autocode.services.push import Notifier


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
    sockets: LiveSockets = field(default_factory=LiveSockets)
    extras: dict[str, object] = field(default_factory=dict)
