"""The current user's API keys and tokens; the secret itself is never returned."""

from __future__ import annotations

from fastapi import APIRouter, status

from autocode.api.deps import IdPath, ContextDep, SessionDep, SessionUser
from autocode.models import ApiKeyCreate, ApiKeyPublic
from autocode.services import keys as key_service

router = APIRouter(prefix="/keys", tags=["keys"])


@router.get("")
def list_keys(user: SessionUser, session: SessionDep) -> list[ApiKeyPublic]:
    return [ApiKeyPublic.model_validate(k) for k in key_service.list_keys(session, owner=user)]


@router.post("", status_code=status.HTTP_201_CREATED)
def add_key(body: ApiKeyCreate, user: SessionUser, session: SessionDep, ctx: ContextDep) -> ApiKeyPublic:
    return ApiKeyPublic.model_validate(key_service.add_key(session, keys=ctx.keys, owner=user, data=body))


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_key(key_id: IdPath, user: SessionUser, session: SessionDep) -> None:
    key_service.delete_key(session, owner=user, key_id=key_id)
