"""What `GET /api/health` answers, kept fresh in the background: a request never probes.

Probing per request (a Docker ping, PATH look-ups, a count) made health the slowest cheap call and
let anyone make the server knock on the Docker engine at will. A lifespan task refreshes the
count every few seconds and the probes less often; the route returns the last answer.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from autocode import __version__
from autocode.core.config import Settings
from autocode.models import Health
from autocode.runtime import Runtime
from autocode.services import runtime_policy, system

REFRESH_SECONDS = 2.0  # the active-projects count
PROBE_SECONDS = 15.0  # tmux, the Docker engine, the Claude Code CLI, the runtime


@dataclass(frozen=True)
class Probes:
    tmux: bool
    docker: bool
    claude: bool


def probe(settings: Settings, runtime: Runtime) -> Probes:
    """What the machine offers now; the runtime in use answers for itself (Runtime.availability)."""
    usable = runtime.availability().ok
    return Probes(
        # The local runtime needs a recent enough tmux on the host; the docker runtime the engine and its image.
        tmux=usable if runtime.kind == "local" else system.which("tmux") is not None,
        docker=usable if runtime.kind == "docker" else system.docker_engine_answers(),
        claude=system.which(settings.claude_command) is not None,
    )


class HealthCache:
    """The last health answer; `refresh` (blocking) runs in the background."""

    def __init__(self, *, settings: Settings, engine: Engine, runtime: Runtime) -> None:
        self.settings = settings
        self.engine = engine
        self.runtime = runtime
        self._lock = threading.Lock()
        self._probes: Probes | None = None
        self._probed_at = 0.0
        self._answer: Health | None = None
        self._json: bytes | None = None

    def refresh(self) -> Health:
        now = time.monotonic()
        probes = self._probes
        if probes is None or now - self._probed_at >= PROBE_SECONDS:
            probes = probe(self.settings, self.runtime)
            self._probes, self._probed_at = probes, now
        with Session(self.engine) as session:
            active = system.active_projects(session)
        policy = runtime_policy.access(self.settings)
        answer = Health(
            status="ok",
            version=__version__,
            active_projects=active,
            runtime=self.settings.runtime,
            tmux=probes.tmux,
            docker=probes.docker,
            claude=probes.claude,
            runtime_users_allowed=policy.users_allowed,
            runtime_note=policy.note,
        )
        encoded = answer.model_dump_json().encode()
        with self._lock:
            self._answer, self._json = answer, encoded
        return answer

    def current(self) -> Health | None:
        """The last answer, None before the first refresh."""
        with self._lock:
            return self._answer

    def current_json(self) -> bytes | None:
        """The last answer as the JSON `GET /api/health` sends (encoded once per refresh)."""
        with self._lock:
            return self._json
