"""The ASGI application: routers, error mapping, body limit, lifespan, the built PWA."""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from sqlmodel import Session, col, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from autocode import __version__
from autocode.api.preview_origin import PreviewOrigin
from autocode.api.routes import (
    agents,
    auth,
    events,
    health,
    jobs,
    keys,
    me,
    notifications,
    preview,
    processes,
    projects,
    templates,
    terminal,
    tokens,
    users,
)
from autocode.core import db
from autocode.core.config import Settings
from autocode.core.context import AppContext
from autocode.core.files import FileError, Missing, TooLarge
from autocode.core.security import Keys, load_master_secret
from autocode.models import AgentInstance, InstanceStatus, Project, User
from autocode.runtime import Runtime, RuntimeErrorBase, SessionNotFound, runtime_for
from autocode.runtime.terminal import TerminalManager
from autocode.services import push as push_service
from autocode.services import runtime_policy
from autocode.services import users as user_service
from autocode.services.auth import LoginThrottle, TicketStore
from autocode.services.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    Throttled,
    Unauthorized,
)
from autocode.services.events import EventHub
from autocode.services.orchestrator import Orchestrator
from autocode.services.preview import PreviewAccess

log = logging.getLogger(__name__)

_STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    Conflict: 409,
    Forbidden: 403,
    Invalid: 422,
    Unauthorized: 401,
    Throttled: 429,
    Gone: 410,
}
UPLOAD_PATH = re.compile(r"/api/projects/[0-9]+/files/upload")
RESERVED_PREFIXES = ("api", "ws", "docs", "redoc", "openapi.json")
WATCHDOG_SECONDS = 2.0
REAPER_SECONDS = 60.0
NOTIFY_SECONDS = 1.0


async def _every(seconds: float, job: Callable[[], object]) -> None:
    """Run a blocking job in a thread every `seconds`, for the server's lifetime."""
    while True:
        try:
            await asyncio.to_thread(job)
        except asyncio.CancelledError:
            raise
        except Exception:  # one failed round must not stop the loop
            log.exception("background job failed", extra={"job": getattr(job, "__name__", "job")})
        await asyncio.sleep(seconds)


def _reap_idle(ctx: AppContext) -> None:
    """Stop users' environments (containers) idle for too long, never under a supervisor or a viewer."""
    if ctx.runtime.kind != "docker":
        return  # tmux servers on the host cost nothing idle; they are never reaped
    with Session(ctx.engine) as session:
        usernames = list(session.exec(select(User.username)).all())
        supervised = session.exec(
            select(User.username)
            .join(Project, col(Project.user_id) == col(User.id))
            .join(AgentInstance, col(AgentInstance.project_id) == col(Project.id))
            .where(col(AgentInstance.status).in_([InstanceStatus.STARTING.value, InstanceStatus.RUNNING.value]))
        ).all()
    live = Counter(supervised)
    watched = Counter(client.owner for client in ctx.terminals.clients)
    max_idle = ctx.settings.idle_minutes * 60
    for username in usernames:
        idle = ctx.runtime.idle_seconds(username)
        if runtime_policy.may_reap(
            idle_seconds=idle,
            max_idle_seconds=max_idle,
            live_supervisors=live[username],
            open_terminals=watched[username],
        ):
            ctx.runtime.stop_user(username)
            log.info("idle environment stopped", extra={"user": username, "idle": idle})


class BodyLimit:
    """Answers 413 once a request body passes the limit, declared or streamed.

    Paths matching ``wider`` (uploads into a workspace) get ``wider_bytes`` instead.
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, *, wider: re.Pattern[str] | None = None, wider_bytes: int = 0
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.wider = wider
        self.wider_bytes = wider_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.wider is not None and self.wider.fullmatch(scope.get("path", "")):
            await _Limited(self.app, self.wider_bytes)(scope, receive, send)
        else:
            await _Limited(self.app, self.max_bytes)(scope, receive, send)


class _Limited:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0 or declared > self.max_bytes:
                    await self._reject(scope, receive, send, declared < 0)
                    return
        seen = 0
        exceeded = False
        replaced = False

        async def limited_receive() -> Message:
            # Past the limit the app gets an empty, final chunk; its answer is replaced below.
            nonlocal seen, exceeded
            if exceeded:
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    exceeded = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal replaced
            if exceeded and message["type"] == "http.response.start" and not replaced:
                replaced = True
                await self._reject(scope, receive, send, False)
                return
            if replaced:
                return
            await send(message)

        await self.app(scope, limited_receive, guarded_send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send, bad: bool) -> None:
        if bad:
            response = JSONResponse({"detail": "Invalid Content-Length"}, status_code=400)
        else:
            response = JSONResponse({"detail": f"Request body is larger than {self.max_bytes} bytes"}, status_code=413)
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


def _operation_id(route: APIRoute) -> str:
    tag = str(route.tags[0]) if route.tags else "default"
    return f"{tag}-{route.name}"


def build_context(settings: Settings) -> AppContext:
    settings.data_path.mkdir(parents=True, exist_ok=True)
    _make_private(settings.data_path)
    engine = db.make_engine(settings.database_url)
    keys = Keys.from_master(load_master_secret(settings))
    runtime = runtime_for(settings)
    sender = push_service.Sender(settings=settings, engine=engine, vapid=push_service.load_vapid_key(settings))
    return AppContext(
        settings=settings,
        engine=engine,
        keys=keys,
        throttle=LoginThrottle(
            max_failures=settings.login_max_failures,
            window_seconds=settings.login_window_seconds,
            max_keys=settings.throttle_max_keys,
        ),
        tickets=TicketStore(lifetime_seconds=settings.ws_ticket_seconds),
        runtime=runtime,
        terminals=TerminalManager(per_user=settings.terminals_per_user),
        events=EventHub(engine),
        orchestrator=Orchestrator(settings=settings, engine=engine, keys=keys, runtime=runtime),
        notifier=push_service.Notifier(settings, engine, sender, keys),
        preview=PreviewAccess(settings=settings, engine=engine, runtime=runtime),
    )


def _make_private(data_dir: Path) -> None:
    """The data directory and the database are the service user's alone (older installs made
    them 0755/0644; `autocode serve` also runs with umask 077 so new files start private)."""
    data_dir.chmod(0o700)
    for name in ("autocode.db", "autocode.db-wal", "autocode.db-shm", "secret.key", "vapid.pem"):
        path = data_dir / name
        if path.is_file() and not path.is_symlink():
            path.chmod(0o600)


def prepare(ctx: AppContext) -> user_service.BootstrapResult | None:
    """Migrate the schema and create the first admin when there is no user yet."""
    db.upgrade(ctx.engine)
    s = ctx.settings
    with Session(ctx.engine) as session:
        return user_service.ensure_first_admin(
            session,
            data_dir=s.data_path,
            username=s.admin_username,
            password=s.admin_password.get_secret_value() if s.admin_password else None,
        )


def announce_admin(result: user_service.BootstrapResult | None) -> None:
    """Print generated first-admin credentials once, on the console only."""
    if result is None:
        return
    if result.password is None:
        print(f"Created the first admin '{result.username}' with the configured password.", flush=True)
        return
    print(
        "\n".join(
            [
                "",
                "=" * 60,
                "  First start: an admin account was created.",
                f"  username: {result.username}",
                f"  password: {result.password}",
                "  Shown once. Log in and change it in Settings.",
                "=" * 60,
                "",
            ]
        ),
        flush=True,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx = build_context(settings)
        announce_admin(prepare(ctx))
        app.state.ctx = ctx
        await ctx.events.start()
        await asyncio.to_thread(ctx.notifier.start)
        # Clones a previous server left unfinished start again.
        await asyncio.to_thread(ctx.orchestrator.resume_clones)
        tasks = [
            asyncio.create_task(ctx.events.run(), name="event-pump"),
            asyncio.create_task(_every(WATCHDOG_SECONDS, ctx.orchestrator.watch_once), name="watchdog"),
            # Status transitions become pushes (sent by a pool of its own, never on this loop).
            asyncio.create_task(_every(NOTIFY_SECONDS, ctx.notifier.poll_once), name="notifier"),
            # Checked a few times per idle limit (a short limit, as in tests, is checked often).
            asyncio.create_task(
                _every(min(REAPER_SECONDS, max(1.0, settings.idle_minutes * 15)), lambda: _reap_idle(ctx)),
                name="idle-reaper",
            ),
        ]
        log.info("server ready", extra={"data_dir": str(settings.data_path)})
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await ctx.terminals.close_all()
            ctx.orchestrator.shutdown()
            ctx.notifier.shutdown()
            ctx.engine.dispose()

    # The interactive docs load scripts from a CDN on the app's origin: development only.
    docs = settings.api_docs_enabled
    app = FastAPI(
        title="AutoCode",
        version=__version__,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )

    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        status_code = next((code for cls, code in _STATUS.items() if isinstance(exc, cls)), 400)
        headers: dict[str, str] = {}
        if isinstance(exc, Unauthorized):
            headers["WWW-Authenticate"] = "Bearer"
        if isinstance(exc, Throttled):
            headers["Retry-After"] = str(exc.retry_after)
        return JSONResponse({"detail": exc.message}, status_code=status_code, headers=headers)

    @app.exception_handler(FileError)
    async def _file_error(_request: Request, exc: FileError) -> JSONResponse:
        # The user's tree is theirs: a link or odd file where the server expected its own is
        # a refusal to show them, never a crash.
        code = 404 if isinstance(exc, Missing) else 413 if isinstance(exc, TooLarge) else 409
        return JSONResponse({"detail": f"Workspace: {exc.message}"}, status_code=code)

    @app.exception_handler(RuntimeErrorBase)
    async def _runtime_error(_request: Request, exc: RuntimeErrorBase) -> JSONResponse:
        log.warning("runtime error", extra={"error": str(exc)})
        if isinstance(exc, SessionNotFound):
            return JSONResponse({"detail": "The project's terminal session is not running"}, status_code=404)
        return JSONResponse({"detail": f"Terminal runtime unavailable: {exc}"}, status_code=503)

    api = APIRouter(prefix="/api")
    for module in (
        auth,
        users,
        agents,
        projects,
        processes,
        jobs,
        keys,
        tokens,
        health,
        notifications,
        preview,
        me,
        templates,
    ):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(terminal.router)
    app.include_router(events.router)
    _mount_pwa(app, settings)
    # Compressed answers for the embedded default (behind Caddy, Caddy compresses too).
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    app.add_middleware(
        BodyLimit, max_bytes=settings.max_body_bytes, wider=UPLOAD_PATH, wider_bytes=settings.upload_max_bytes
    )
    app.state.preview_origin = preview_origin(app)
    return app


def preview_origin(app: FastAPI) -> PreviewOrigin:
    """The preview origin's ASGI app, served on its own port next to `app` (same process)."""

    def context() -> tuple[PreviewAccess, Runtime] | None:
        ctx: AppContext | None = getattr(app.state, "ctx", None)
        return None if ctx is None else (ctx.preview, ctx.runtime)

    return PreviewOrigin(context)


def _mount_pwa(app: FastAPI, settings: Settings) -> None:
    """Serve the built PWA at / with a fallback to index.html for client-side routes."""

    @app.api_route("/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
    async def spa(path: str) -> Response:
        first = path.split("/", 1)[0]
        if first in RESERVED_PREFIXES:
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        root = settings.pwa_dir
        if root is None:
            return HTMLResponse(
                "<!doctype html><title>AutoCode</title><h1>AutoCode</h1>"
                "<p>The web app is not built. Run <code>npm --prefix frontend ci &amp;&amp;"
                " npm --prefix frontend run build</code>. The API is at <a href=/docs>/docs</a>.</p>"
            )
        candidate = (root / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(root.resolve()):
            return FileResponse(candidate, headers=_cache_headers(path))
        if "." in Path(path).name and not path.endswith(".html"):
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        return FileResponse(root / "index.html", headers={"Cache-Control": "no-cache"})


def _cache_headers(path: str) -> dict[str, str]:
    if path.startswith("assets/"):
        return {"Cache-Control": "public, max-age=31536000, immutable"}
    return {"Cache-Control": "no-cache"}
