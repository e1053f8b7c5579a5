"""Project templates: the built-in ones and the current user's own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from autocode.api.deps import CurrentUser, SessionDep
from autocode.models import TemplatePublic
from autocode.services import templates as template_service

router = APIRouter(prefix="/templates", tags=["templates"])


@router.get("")
def list_templates(user: CurrentUser, session: SessionDep) -> list[TemplatePublic]:
    """Built-in templates, then yours."""
    return template_service.list_templates(session, owner=user)


@router.delete("/{template_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_template(
    user: CurrentUser, session: SessionDep, template_id: Annotated[str, Path(min_length=1, max_length=40)]
) -> None:
    """Delete one of your templates (built-in ones cannot be deleted)."""
    template_service.delete_template(session, owner=user, template_id=template_id)
