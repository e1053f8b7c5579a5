"""Who may use the runtime, and when an idle environment may be stopped (pure rules).

The local runtime runs every account's shell, Claude Code and supervisor as the one service
user: a user's terminal reads `secret.key`, the database, other users' trees and
`/proc/*/environ`. It isolates nobody, so in production only admins (trusted anyway) may use it
unless the admin opts in for everyone with `AUTOCODE_LOCAL_RUNTIME_USERS=all`. Development
(`./scripts/serve.sh`, one person) is unrestricted.
"""

from __future__ import annotations

from dataclasses import dataclass

from autocode.core.config import Settings
from autocode.models import User
from autocode.services.errors import Forbidden

LOCAL_RUNTIME_REFUSAL = (
    "This server uses the local runtime, which gives every account the service user's rights "
    "(any user could read the others' files and the server's keys), so only admins may run "
    "projects or open terminals. Ask the admin to switch to the docker runtime "
    "(AUTOCODE_RUNTIME=docker)."
)

# A WebSocket close reason holds at most 123 bytes.
LOCAL_RUNTIME_CLOSE_REASON = "local runtime: admins only on this server (ask the admin for the docker runtime)"


@dataclass(frozen=True)
class RuntimeAccess:
    """What the admin page shows: the runtime and whether accounts that are not admins may use it."""

    runtime: str
    users_allowed: bool
    note: str | None


def may_use_runtime(*, environment: str, runtime: str, is_admin: bool, local_users: str) -> bool:
    """Whether an account may start projects and open terminals on this runtime."""
    if environment != "production" or runtime != "local" or is_admin:
        return True
    return local_users == "all"


def access(settings: Settings) -> RuntimeAccess:
    """The policy as the admin page states it."""
    allowed = may_use_runtime(
        environment=settings.environment,
        runtime=settings.runtime,
        is_admin=False,
        local_users=settings.local_runtime_users,
    )
    note: str | None = None
    if settings.runtime == "local":
        note = (
            "The local runtime gives every account the service user's rights: users are not "
            "isolated from each other or from the server. Use the docker runtime."
        )
        if settings.environment == "production":
            note += (
                " Accounts that are not admins may use it: AUTOCODE_LOCAL_RUNTIME_USERS=all."
                if allowed
                else " Only admins may run projects or open terminals (AUTOCODE_LOCAL_RUNTIME_USERS=admins)."
            )
    return RuntimeAccess(runtime=settings.runtime, users_allowed=allowed, note=note)


def require_runtime(settings: Settings, user: User) -> None:
    """Raise Forbidden when this account may not use the runtime (see the module's doc)."""
    if not may_use_runtime(
        environment=settings.environment,
        runtime=settings.runtime,
        is_admin=user.is_admin,
        local_users=settings.local_runtime_users,
    ):
        raise Forbidden(LOCAL_RUNTIME_REFUSAL)


def may_reap(
    *, idle_seconds: float | None, max_idle_seconds: float, live_supervisors: int, open_terminals: int
) -> bool:
    """Whether the idle reaper may stop a user's environment.

    Never while one of the user's supervisors runs (its tmux calls come from another process
    and are not seen as activity) or while someone watches a terminal; otherwise only past the
    idle limit. `idle_seconds` None means the environment is not up.
    """
    if idle_seconds is None or live_supervisors > 0 or open_terminals > 0:
        return False
    return idle_seconds > max_idle_seconds
