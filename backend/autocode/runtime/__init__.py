"""Where tmux runs: on the host (local) or in one container per user (docker)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from autocode.core.config import Settings
from autocode.runtime.base import (
    Availability,
    CommandFailed,
    InvalidName,
    PaneInfo,
    PathOutsideWorkspace,
    Runtime,
    RuntimeErrorBase,
    RuntimeUnavailable,
    SessionExists,
    SessionNotFound,
    session_name,
    target,
)

if TYPE_CHECKING:
    from autocode.core.config import Settings

RUNTIME_KINDS = ("local", "docker")


def make_runtime(
    kind: str,
    *,
    data_dir: Path,
    image: str = "autocode-workspace:latest",
    memory: str = "2g",
    cpus: float = 2.0,
    pids: int = 512,
    network: str | None = None,
    egress_allow: Sequence[str] = (),
) -> Runtime:
    """Build the runtime the settings ask for; limits and image apply to docker only."""
    if kind == "local":
        from autocode.runtime.local import LocalRuntime

        return LocalRuntime(data_dir=data_dir)
    if kind == "docker":
        from autocode.runtime.docker import DockerRuntime

        return DockerRuntime(
            data_dir=data_dir,
            image=image,
            memory=memory,
            cpus=cpus,
            pids=pids,
            network=network,
            egress_allow=egress_allow,
        )
    raise ValueError(f"unknown runtime {kind!r} (expected one of {', '.join(RUNTIME_KINDS)})")


def runtime_for(settings: Settings) -> Runtime:
    """The runtime the settings ask for (the server and every supervisor build the same)."""
    return make_runtime(
        settings.runtime,
        data_dir=settings.data_path,
        image=settings.workspace_image,
        memory=settings.container_memory,
        cpus=settings.container_cpus,
        pids=settings.container_pids,
        network=settings.container_network,
        egress_allow=settings.container_egress_allow,
    )


__all__ = [
    "RUNTIME_KINDS",
    "Availability",
    "CommandFailed",
    "InvalidName",
    "PaneInfo",
    "PathOutsideWorkspace",
    "Runtime",
    "RuntimeErrorBase",
    "RuntimeUnavailable",
    "SessionExists",
    "SessionNotFound",
    "make_runtime",
    "runtime_for",
    "session_name",
    "target",
]
