"""Login, token refresh and rotation, logout, password change, WebSocket tickets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Cookie, Request, Response, status

from autocode.api.deps import ContextDep, CurrentUser, SessionDep, SessionPrincipal, client_address
from autocode.models import (
    LoginRequest,
    PasswordChange,
    RefreshRequest,
    TokenPair,
    UserPublic,
    WsTicket,
)
from autocode.services import auth as auth_service
from autocode.services.errors import Unauthorized
from autocode.wiring import AppContext

router = APIRouter(prefix="/auth", tags=["auth"])

REFRESH_COOKIE = "autocode_refresh"
COOKIE_PATH = "/api/auth"
RefreshCookie = Annotated[str | None, Cookie(alias=REFRESH_COOKIE)]


def _respond(ctx: AppContext, response: Response, issued: auth_service.IssuedTokens) -> TokenPair:
    response.set_cookie(
        REFRESH_COOKIE,
        issued.refresh_token,
        max_age=ctx.settings.refresh_token_days * 86400,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=ctx.settings.secure_cookies,
    )
    response.headers["Cache-Control"] = "no-store"
    return TokenPair(
        access_token=issued.access_token,
        expires_in=issued.expires_in,
        refresh_token=issued.refresh_token,
        user=UserPublic.model_validate(issued.user),
    )


@router.post("/login")
def login(body: LoginRequest, request: Request, response: Response, ctx: ContextDep, session: SessionDep) -> TokenPair:
    issued = auth_service.login(
        session,
        settings=ctx.settings,
        keys=ctx.keys,
        throttle=ctx.throttle,
        username=body.username,
        password=body.password,
        client=client_address(request),
    )
    return _respond(ctx, response, issued)


@router.post("/refresh")
def refresh(
    response: Response,
    ctx: ContextDep,
    session: SessionDep,
    cookie: RefreshCookie = None,
    body: Annotated[RefreshRequest | None, Body()] = None,
) -> TokenPair:
    token = (body.refresh_token if body else None) or cookie
    if not token:
        raise Unauthorized("No refresh token")
    issued = auth_service.refresh(session, settings=ctx.settings, keys=ctx.keys, sockets=ctx.sockets, token=token)
    return _respond(ctx, response, issued)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(
    response: Response,
    ctx: ContextDep,
    session: SessionDep,
    cookie: RefreshCookie = None,
    body: Annotated[RefreshRequest | None, Body()] = None,
) -> None:
    token = (body.refresh_token if body else None) or cookie
    if token:
        auth_service.logout(session, sockets=ctx.sockets, token=token)
    response.delete_cookie(REFRESH_COOKIE, path=COOKIE_PATH)


@router.post("/logout-all", status_code=status.HTTP_204_NO_CONTENT)
def logout_all(principal: SessionPrincipal, response: Response, ctx: ContextDep, session: SessionDep) -> None:
    """Sign out everywhere: every token and open socket of this user dies, this one too."""
    auth_service.logout_all(session, sockets=ctx.sockets, user=principal.user)
    response.delete_cookie(REFRESH_COOKIE, path=COOKIE_PATH)


@router.get("/me")
def me(user: CurrentUser) -> UserPublic:
    return UserPublic.model_validate(user)


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(
    body: PasswordChange,
    principal: SessionPrincipal,
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
) -> None:
    """Change the password; every other login of this user ends, this one stays signed in."""
    auth_service.change_password(
        session,
        throttle=ctx.throttle,
        sockets=ctx.sockets,
        principal=principal,
        client=client_address(request),
        current_password=body.current_password,
        new_password=body.new_password,
    )


@router.post("/ws-ticket")
def ws_ticket(principal: SessionPrincipal, ctx: ContextDep) -> WsTicket:
    return WsTicket(ticket=ctx.tickets.issue(principal), expires_in=ctx.tickets.lifetime_seconds)
