"""What the machine offers: tmux, a Docker engine, the Claude Code CLI, node, the data dir."""

from __future__ import annotations

import os
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from autocode.core.config import Settings
from autocode.core.layout import Layout
from autocode.models import ACTIVE_STATUSES, Project

DOCKER_SOCKET = Path("/var/run/docker.sock")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def docker_engine_answers(sock_path: Path = DOCKER_SOCKET, timeout: float = 1.0) -> bool:
    """A cheap ping of the Docker engine's unix socket."""
    if not sock_path.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(str(sock_path))
            s.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            return b"OK" in s.recv(256)
    except OSError:
        return False


def which(command: str) -> str | None:
    return shutil.which(command)


def checks(settings: Settings) -> list[Check]:
    data = settings.data_path
    tmux = which("tmux")
    claude = which(settings.claude_command)
    node = which("node")
    docker_ok = docker_engine_answers()
    if data.exists():
        writable = os.access(data, os.W_OK | os.X_OK)
        data_detail = f"{data} ({'writable' if writable else 'NOT writable'})"
        key = Layout(data).secret_key
        if key.exists() and key.stat().st_mode & 0o077:
            writable = False
            data_detail += f"; {key} is readable by others (chmod 600 it)"
    else:
        writable = os.access(data.parent, os.W_OK)
        data_detail = f"{data} (missing; {'will be created' if writable else 'parent NOT writable'})"
    return [
        Check("tmux", tmux is not None, tmux or "missing: apt-get install tmux"),
        Check(
            "docker engine",
            docker_ok,
            "answers" if docker_ok else "not answering (needed only for AUTOCODE_RUNTIME=docker)",
        ),
        Check(
            "claude CLI",
            claude is not None,
            claude or f"'{settings.claude_command}' missing: npm install -g @anthropic-ai/claude-code",
        ),
        Check("node", node is not None, node or "missing: apt-get install nodejs npm"),
        Check("data dir", writable, data_detail),
    ]


def active_projects(session: Session) -> int:
    stmt = select(func.count()).select_from(Project).where(col(Project.status).in_([s.value for s in ACTIVE_STATUSES]))
    return int(session.exec(stmt).one())
