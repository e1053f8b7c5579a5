"""Things of the current user's own: their deploy key."""

from __future__ import annotations

from fastapi import APIRouter

from autocode.api.deps import ContextDep, CurrentUser, SessionDep
from autocode.models import DeployKeyPublic
from autocode.services import deploy_keys

router = APIRouter(prefix="/me", tags=["me"])


@router.get("/deploy-key")
def get_deploy_key(user: CurrentUser, session: SessionDep, ctx: ContextDep) -> DeployKeyPublic:
    """Your ssh deploy key's public half (made on first use): add it to a repository's host
    to let projects clone it over ssh."""
    row = deploy_keys.get_or_create(session, keys=ctx.keys, owner=user)
    return DeployKeyPublic.model_validate(row)
