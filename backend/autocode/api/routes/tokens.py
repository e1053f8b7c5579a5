"""The current user's personal API tokens (signed in to the app only; the secret shows once)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from autocode.api.deps import IdPath, SessionDep, SessionUser
from autocode.models import PersonalTokenCreate, PersonalTokenCreated, PersonalTokenPublic, pk
from autocode.services import tokens as token_service

router = APIRouter(prefix="/tokens", tags=["tokens"])


@router.get("")
def list_tokens(user: SessionUser, session: SessionDep) -> list[PersonalTokenPublic]:
    return [PersonalTokenPublic.model_validate(t) for t in token_service.list_tokens(session, owner=user)]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_token(
    body: PersonalTokenCreate, user: SessionUser, session: SessionDep, response: Response
) -> PersonalTokenCreated:
    """A new token for scripts (`Authorization: Bearer ac_pat_...`); its secret is shown only here."""
    made = token_service.create_token(session, owner=user, name=body.name)
    response.headers["Cache-Control"] = "no-store"
    return PersonalTokenCreated(id=pk(made.row), name=made.row.name, token=made.secret, created_at=made.row.created_at)


@router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: IdPath, user: SessionUser, session: SessionDep) -> None:
    token_service.revoke_token(session, owner=user, token_id=token_id)
