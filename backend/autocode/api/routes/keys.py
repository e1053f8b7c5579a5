"""The current user's API keys and tokens; the secret itself is never returned."""

from __future__ import annotations

from fastapi import APIRouter, status

from autocode.api.deps import ContextDep, CurrentUser, IdPath, SessionDep, SessionUser
from autocode.models import ApiKeyCreate, ApiKeyPublic, KeyTestPublic, ModelOptionPublic
from autocode.services import keys as key_service
from autocode.services import model_catalog

router = APIRouter(prefix="/keys", tags=["keys"])


@router.get("")
def list_keys(user: SessionUser, session: SessionDep) -> list[ApiKeyPublic]:
    return [ApiKeyPublic.model_validate(k) for k in key_service.list_keys(session, owner=user)]


@router.get("/models")
def list_models(user: CurrentUser, session: SessionDep) -> list[ModelOptionPublic]:
    """Known model ids of the providers you have keys for (a static list per provider)."""
    return model_catalog.models_for(k.provider for k in key_service.list_keys(session, owner=user))


@router.post("", status_code=status.HTTP_201_CREATED)
def add_key(body: ApiKeyCreate, user: SessionUser, session: SessionDep, ctx: ContextDep) -> ApiKeyPublic:
    return ApiKeyPublic.model_validate(key_service.add_key(session, keys=ctx.keys, owner=user, data=body))


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_key(key_id: IdPath, user: SessionUser, session: SessionDep) -> None:
    key_service.delete_key(session, owner=user, key_id=key_id)


@router.post("/{key_id}/test")
def test_key(key_id: IdPath, user: SessionUser, session: SessionDep, ctx: ContextDep) -> KeyTestPublic:
    """Call the key's provider (GET /v1/models, bounded) and say whether the key works."""
    found = key_service.test_key(
        session,
        keys=ctx.keys,
        owner=user,
        key_id=key_id,
        production=ctx.settings.environment == "production",
        timeout=ctx.settings.key_test_timeout_seconds,
    )
    return KeyTestPublic(ok=found.ok, message=found.message)
