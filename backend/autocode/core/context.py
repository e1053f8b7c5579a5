"""Long-lived objects made once per server in the lifespan and reached through dependencies."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from autocode.core.config import Settings
from autocode.core.security import Keys
from autocode.runtime import Runtime, make_runtime
from autocode.runtime.terminal import TerminalManager
from autocode.services.auth import LoginThrottle, TicketStore
from autocode.services.events import EventHub
from autocode.services.health import HealthCache
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
    health: HealthCache
    sockets: LiveSockets = field(default_factory=LiveSockets)
    extras: dict[str, object] = field(default_factory=dict)


def runtime_for(settings: Settings) -> Runtime:
    """The runtime the settings ask for (the server and every supervisor build the same)."""
    return make_runtime(
        settings.runtime,
        data_dir=settings.data_path,
        image=settings.workspace_image,
        memory=settings.container_memory,
        cpus=settings.container_cpus,
        pids=settings.container_pids,
        network=settings.container_network,
        egress_allow=settings.container_egress_allow,
    )
