"""Accounts, for admins only."""

from __future__ import annotations

from fastapi import APIRouter, status

from autocode.api.deps import AdminUser, ContextDep, IdPath, SessionDep, SettingsDep
from autocode.models import PasswordReset, UserAdminView, UserCreate, UserPatch, UserPublic
from autocode.services import users as user_service

router = APIRouter(prefix="/users", tags=["users"])


@router.get("")
def list_users(_admin: AdminUser, session: SessionDep) -> list[UserAdminView]:
    return [
        UserAdminView(
            **UserPublic.model_validate(row.user).model_dump(),
            agent_count=row.agent_count,
            project_count=row.project_count,
        )
        for row in user_service.list_users(session)
    ]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, _admin: AdminUser, session: SessionDep, settings: SettingsDep) -> UserPublic:
    user = user_service.create_user(
        session,
        data_dir=settings.data_path,
        username=body.username,
        password=body.password,
        is_admin=body.is_admin,
    )
    return UserPublic.model_validate(user)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_user(user_id: IdPath, admin: AdminUser, session: SessionDep, ctx: ContextDep) -> None:
    user_service.delete_user(
        session,
        data_dir=ctx.settings.data_path,
        runtime=ctx.runtime,
        sockets=ctx.sockets,
        actor=admin,
        user_id=user_id,
    )


@router.post("/{user_id}/password", status_code=status.HTTP_204_NO_CONTENT)
def reset_password(
    user_id: IdPath, body: PasswordReset, admin: AdminUser, session: SessionDep, ctx: ContextDep
) -> None:
    """Set a user's password; every login of theirs ends (they sign in with the new one)."""
    target = user_service.find_user(session, user_id)
    user_service.reset_password(session, sockets=ctx.sockets, actor=admin, user=target, password=body.password)


@router.patch("/{user_id}")
def update_user(user_id: IdPath, body: UserPatch, admin: AdminUser, session: SessionDep, ctx: ContextDep) -> UserPublic:
    """Disable an account (its logins end and its running projects stop) or enable it again."""
    target = user_service.find_user(session, user_id)
    updated = user_service.set_disabled(
        session, sockets=ctx.sockets, orchestrator=ctx.orchestrator, actor=admin, user=target, disabled=body.disabled
    )
    return UserPublic.model_validate(updated)
