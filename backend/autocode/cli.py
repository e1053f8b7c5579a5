"""The `autocode` command: serve, create-admin, reset-password, doctor, backup."""

from __future__ import annotations

import argparse
import asyncio
import copy
import getpass
import logging
import os
import re
import sys
from pathlib import Path
from typing import Any

from sqlmodel import Session

from autocode.core import db
from autocode.core.config import Settings


def _settings() -> Settings:
    try:
        return Settings()
    except Exception as exc:  # pydantic's message says which setting is wrong
        print(f"autocode: invalid configuration: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


# WebSocket tickets and preview links' one-time tokens travel in the query string: keep them
# out of every log line.
_TICKET = re.compile(r"((?:ticket|autocode_preview_token)=)[^&\s\"']+")


class RedactTickets(logging.Filter):
    """Replaces the value of any `ticket=` or preview token in a log record with `***`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "ticket=" in message or "_token=" in message:
            record.msg = _TICKET.sub(r"\1***", message)
            record.args = None
        return True


def _log_config() -> dict[str, Any]:
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_tickets"] = {"()": RedactTickets}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact_tickets")
    return config


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from autocode.app import create_app

    # Everything the server creates (data dir, database, WAL, keys, users' trees) is private
    # to the service user unless a step widens it on purpose.
    os.umask(0o077)
    settings = _settings()
    host = args.host or settings.host
    port = args.port or settings.port
    app = create_app(settings)
    proxies = settings.trusted_proxy_list
    # The sans-I/O WebSocket implementation costs less per terminal frame than the legacy one;
    # per-message deflate would add CPU and latency to every keystroke echo and output burst.
    # Forwarded headers are believed only from AUTOCODE_TRUSTED_PROXIES (nobody by default):
    # otherwise any client could pick its own address and step around the login throttle.
    common: dict[str, Any] = {
        "host": host,
        "log_level": "info",
        "log_config": _log_config(),
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": proxies or [],
        "ws": "websockets-sansio",
        "ws_per_message_deflate": False,
    }
    # The live preview is a separate origin: its own port on the same host, same process
    # (it shares the app's sessions, runtime and preview tokens).
    main = uvicorn.Server(uvicorn.Config(app, port=port, **common))
    preview = uvicorn.Server(
        uvicorn.Config(app.state.preview_origin, port=settings.preview_port, lifespan="off", **common)
    )

    async def serve_both() -> None:
        async def preview_after_app() -> None:
            while not main.started and not main.should_exit:
                await asyncio.sleep(0.05)
            if not main.started:
                return
            try:
                await preview.serve()
            except SystemExit:  # uvicorn's answer to a port it cannot bind: the app goes on
                logging.getLogger("autocode.preview").error(
                    "live previews are off: port %s cannot be used", settings.preview_port
                )

        task = asyncio.create_task(preview_after_app())
        try:
            await main.serve()
        finally:
            preview.should_exit = True
            await task

    asyncio.run(serve_both())
    return 0


def cmd_create_admin(args: argparse.Namespace) -> int:
    from autocode.core.security import generate_password
    from autocode.services import users as user_service
    from autocode.services.errors import DomainError
    from autocode.wiring import build_context

    settings = _settings()
    ctx = build_context(settings)
    db.upgrade(ctx.engine)
    password = settings.admin_password.get_secret_value() if settings.admin_password else None
    if password is None and args.prompt:
        password = getpass.getpass("Password for the new admin: ")
    generated = password is None
    secret = password or generate_password()
    with Session(ctx.engine) as session:
        try:
            user_service.create_user(
                session,
                data_dir=settings.data_path,
                username=args.username or settings.admin_username,
                password=secret,
                is_admin=True,
            )
        except DomainError as exc:
            print(f"autocode: {exc.message}", file=sys.stderr)
            return 1
    print(f"admin created: {args.username or settings.admin_username}")
    if generated:
        print(f"password: {secret}  (shown once)")
    return 0


def cmd_reset_password(args: argparse.Namespace) -> int:
    """A new password for an account (a locked-out admin's way back in); every login of it ends."""
    from sqlmodel import select

    from autocode.core.security import generate_password
    from autocode.models import User
    from autocode.services import users as user_service
    from autocode.services.errors import DomainError
    from autocode.wiring import build_context

    settings = _settings()
    ctx = build_context(settings)
    db.upgrade(ctx.engine)
    password = settings.admin_password.get_secret_value() if settings.admin_password else None
    if password is None and args.prompt:
        password = getpass.getpass(f"New password for {args.username}: ")
    generated = password is None
    secret = password or generate_password()
    with Session(ctx.engine) as session:
        user = session.exec(select(User).where(User.username == args.username.lower())).first()
        if user is None:
            print(f"autocode: no user '{args.username}'", file=sys.stderr)
            return 1
        try:
            user_service.reset_password(session, sockets=ctx.sockets, user=user, password=secret)
        except DomainError as exc:
            print(f"autocode: {exc.message}", file=sys.stderr)
            return 1
        if args.enable and user.disabled:
            user.disabled = False
            session.add(user)
            session.commit()
            print(f"account enabled: {user.username}")
        disabled = user.disabled
    print(f"password reset: {args.username}; every login of this account has ended")
    if generated:
        print(f"password: {secret}  (shown once)")
    if disabled:
        print("note: this account is disabled; run again with --enable, or enable it in the admin page")
    return 0


def cmd_doctor(_args: argparse.Namespace) -> int:
    from autocode.services.system import checks

    settings = _settings()
    results = checks(settings)
    for check in results:
        print(f"{'ok ' if check.ok else 'MISSING'}  {check.name:<14} {check.detail}")
    required = {"tmux", "data dir"}
    if settings.runtime == "docker":
        required.add("docker engine")
    return 0 if all(c.ok for c in results if c.name in required) else 1


def cmd_backup(args: argparse.Namespace) -> int:
    settings = _settings()
    source = settings.data_path / "autocode.db"
    if not source.is_file():
        print(f"autocode: no database at {source}", file=sys.stderr)
        return 1
    target = Path(args.target).expanduser().resolve()
    if target.exists() and not args.force:
        print(f"autocode: {target} exists (use --force to overwrite)", file=sys.stderr)
        return 1
    db.backup(source, target)
    print(f"backup written: {target}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="autocode", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server (migrates the database first)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=cmd_serve)

    admin = sub.add_parser("create-admin", help="create an admin account")
    admin.add_argument("--username")
    admin.add_argument("--prompt", action="store_true", help="ask for the password")
    admin.set_defaults(func=cmd_create_admin)

    reset = sub.add_parser("reset-password", help="set a new password for an account (ends its logins)")
    reset.add_argument("username")
    reset.add_argument("--prompt", action="store_true", help="ask for the password")
    reset.add_argument("--enable", action="store_true", help="also enable the account if it is disabled")
    reset.set_defaults(func=cmd_reset_password)

    doctor = sub.add_parser("doctor", help="check what this machine offers")
    doctor.set_defaults(func=cmd_doctor)

    backup = sub.add_parser("backup", help="online backup of the database to a file")
    backup.add_argument("target")
    backup.add_argument("--force", action="store_true")
    backup.set_defaults(func=cmd_backup)

    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
