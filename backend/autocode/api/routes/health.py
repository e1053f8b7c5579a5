"""Liveness and what the platform can use right now."""

from __future__ import annotations

from fastapi import APIRouter

from autocode import __version__
from autocode.api.deps import ContextDep, SessionDep
from autocode.models import Health
from autocode.services import runtime_policy, system

router = APIRouter(tags=["health"])


@router.get("/health")
def health(ctx: ContextDep, session: SessionDep) -> Health:
    docker_ok = system.docker_engine_answers()
    active = system.active_projects(session)
    policy = runtime_policy.access(ctx.settings)
    return Health(
        status="ok",
        version=__version__,
        active_projects=active,
        runtime=ctx.settings.runtime,
        tmux=system.which("tmux") is not None,
        docker=docker_ok,
        claude=system.which(ctx.settings.claude_command) is not None,
        runtime_users_allowed=policy.users_allowed,
        runtime_note=policy.note,
    )
