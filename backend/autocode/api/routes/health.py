"""Liveness and what the platform can use right now."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter

from autocode.api.deps import ContextDep
from autocode.models import Health

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(ctx: ContextDep) -> Health:
    # The last answer of the background refresh: a request never probes the machine.
    answer = ctx.health.current()
    if answer is None:
        answer = await asyncio.to_thread(ctx.health.refresh)
    return answer
