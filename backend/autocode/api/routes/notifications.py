"""Web Push: the server's public key, the user's devices, and answering from a notification."""

from __future__ import annotations

from fastapi import APIRouter, status

from autocode.api.deps import ContextDep, CurrentUser, IdPath, SessionDep
from autocode.models import (
    ChannelCreate,
    ChannelPublic,
    PushActionRequest,
    PushActionResult,
    PushSubscriptionCreate,
    PushSubscriptionPublic,
    VapidKey,
    pk,
)
from autocode.services import channels as channel_service
from autocode.services import push as push_service

router = APIRouter(prefix="/notifications", tags=["notifications"])


@router.get("/vapid-key")
def vapid_key(_user: CurrentUser, ctx: ContextDep) -> VapidKey:
    """The applicationServerKey browsers subscribe with (the private half never leaves the server)."""
    return VapidKey(public_key=ctx.notifier.sender.vapid.public_key)


@router.get("/subscriptions")
def list_subscriptions(user: CurrentUser, session: SessionDep) -> list[PushSubscriptionPublic]:
    return [PushSubscriptionPublic.model_validate(s) for s in push_service.list_subscriptions(session, owner=user)]


@router.post("/subscriptions", status_code=status.HTTP_201_CREATED)
def subscribe(
    body: PushSubscriptionCreate, user: CurrentUser, session: SessionDep, ctx: ContextDep
) -> PushSubscriptionPublic:
    sub = push_service.subscribe(session, ctx.settings, owner=user, data=body)
    return PushSubscriptionPublic.model_validate(sub)


@router.delete("/subscriptions/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
def unsubscribe(subscription_id: IdPath, user: CurrentUser, session: SessionDep) -> None:
    push_service.unsubscribe(session, owner=user, subscription_id=subscription_id)


@router.post("/subscriptions/{subscription_id}/test", status_code=status.HTTP_204_NO_CONTENT)
def send_test(subscription_id: IdPath, user: CurrentUser, session: SessionDep, ctx: ContextDep) -> None:
    """Send a test notification to one device now."""
    push_service.send_test(session, ctx.notifier.sender, owner=user, subscription_id=subscription_id)


@router.post("/actions")
def act(body: PushActionRequest, session: SessionDep, ctx: ContextDep) -> PushActionResult:
    """Approve or deny from a notification. No session: the one-time token is the authority."""
    project = push_service.redeem_token(session, token=body.token)
    ctx.orchestrator.decide(session, project, body.action)
    done = "Approved" if body.action == "approve" else "Denied"
    return PushActionResult(project_id=pk(project), action=body.action, detail=f"{done}; {project.name} goes on")


@router.get("/channels")
def list_channels(user: CurrentUser, session: SessionDep) -> list[ChannelPublic]:
    return [ChannelPublic.model_validate(c) for c in channel_service.list_channels(session, owner=user)]


@router.post("/channels", status_code=status.HTTP_201_CREATED)
def add_channel(body: ChannelCreate, user: CurrentUser, session: SessionDep, ctx: ContextDep) -> ChannelPublic:
    """An Apprise URL: ntfy(s)://, tgram:// or mailto(s):// (kept encrypted, shown masked)."""
    return ChannelPublic.model_validate(
        channel_service.add_channel(session, ctx.settings, ctx.keys, owner=user, data=body)
    )


@router.delete("/channels/{channel_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_channel(channel_id: IdPath, user: CurrentUser, session: SessionDep) -> None:
    channel_service.delete_channel(session, owner=user, channel_id=channel_id)


@router.post("/channels/{channel_id}/test", status_code=status.HTTP_204_NO_CONTENT)
def test_channel(channel_id: IdPath, user: CurrentUser, session: SessionDep, ctx: ContextDep) -> None:
    channel_service.send_test(session, ctx.settings, ctx.keys, owner=user, channel_id=channel_id)
