"""Long-lived objects made once per server in the lifespan and reached through dependencies."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from autocode.core.config import Settings
from autocode.core.security import Keys
from autocode.runtime import Runtime
from autocode.runtime.terminal import TerminalManager
from autocode.services.auth import LoginThrottle, TicketStore


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    keys: Keys
    throttle: LoginThrottle
    tickets: TicketStore
    runtime: Runtime
    terminals: TerminalManager
    extras: dict[str, object] = field(default_factory=dict)
