"""Live preview links: a one-time URL on the preview origin for a listening port of a project."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Path

from autocode.api.deps import ContextDep, CurrentUser, ProjectDep
from autocode.models import PreviewLink

router = APIRouter(prefix="/projects", tags=["preview"])
PortPath = Annotated[int, Path(ge=1, le=65535)]


@router.post("/{project_id}/ports/{port}/preview")
async def create_preview(project: ProjectDep, user: CurrentUser, port: PortPath, ctx: ContextDep) -> PreviewLink:
    """A one-time link to the preview of `port` (a port the project's session listens on)."""
    url = await anyio.to_thread.run_sync(lambda: ctx.preview.issue_url(user=user, project=project, port=port))
    return PreviewLink(url=url, expires_in=ctx.settings.preview_token_seconds)
