"""Liveness and what the platform can use right now."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response

from autocode.api.deps import ContextDep
from autocode.models import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
async def health(ctx: ContextDep) -> Response:
    # The last answer of the background refresh, encoded once: a request never probes the machine.
    body = ctx.health.current_json()
    if body is None:
        await asyncio.to_thread(ctx.health.refresh)
        body = ctx.health.current_json()
    assert body is not None
    return Response(content=body, media_type="application/json")
