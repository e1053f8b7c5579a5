"""What a supervisor is given at start: its settings and this project's credentials, on stdin.

The server decrypts only what one project needs (the Claude Code credential and the decision
model's key) and writes this JSON once into the supervisor's stdin, a pipe; the supervisor
reads it at start and closes the pipe. Nothing secret goes through the environment (readable in
``/proc/<pid>/environ``), the command line or a file, and the master secret never leaves the
server: a supervisor cannot decrypt any other key in the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, BinaryIO

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource
from sqlalchemy import Engine

from autocode.core import db, wake
from autocode.core.config import Settings
from autocode.core.credential import Credential
from autocode.core.layout import Layout

MAX_BOOT_BYTES = 1_000_000
# Settings a supervisor must never receive.
SERVER_ONLY = frozenset({"secret_key", "admin_password", "admin_username"})


class GivenSettings(Settings):
    """The server's settings as handed over: the environment and files are not read."""

    _without_master_secret = True

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


@dataclass(frozen=True)
class Credentials:
    """The decrypted credentials of one project: Claude Code's, and the decision model's."""

    claude: Credential | None = None
    brain: Credential | None = None


def _cred(value: Credential | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"provider": value.provider, "secret": value.secret, "base_url": value.base_url}


def _uncred(value: object) -> Credential | None:
    if not isinstance(value, dict):
        return None
    base_url = value.get("base_url")
    return Credential(
        provider=str(value["provider"]),
        secret=str(value["secret"]),
        base_url=str(base_url) if base_url is not None else None,
    )


def encode(settings: Settings, credentials: Credentials) -> bytes:
    """The boot message for a supervisor of this installation."""
    values = settings.model_dump(mode="json", exclude=set(SERVER_ONLY))
    values["data_dir"] = str(settings.data_path)
    return json.dumps(
        {"settings": values, "claude": _cred(credentials.claude), "brain": _cred(credentials.brain)}
    ).encode()


def decode(data: bytes) -> tuple[Settings, Credentials]:
    """Settings (validated, the environment not read) and credentials from a boot message."""
    message = json.loads(data)
    if not isinstance(message, dict) or not isinstance(message.get("settings"), dict):
        raise ValueError("the boot message has no settings")
    settings = GivenSettings(**message["settings"])
    return settings, Credentials(claude=_uncred(message.get("claude")), brain=_uncred(message.get("brain")))


def read(stream: BinaryIO) -> tuple[Settings, Credentials]:
    """Read the boot message from ``stream`` (the supervisor's stdin) to its end."""
    data = stream.read(MAX_BOOT_BYTES + 1)
    if len(data) > MAX_BOOT_BYTES:
        raise ValueError("the boot message is too large")
    if not data:
        raise ValueError("no boot message on stdin (a supervisor is started by the server)")
    return decode(data)


def engine_for(settings: Settings) -> Engine:
    """The supervisor's database engine: every commit pokes the server, so the UI hears of it at once."""
    engine = db.make_engine(settings.database_url)
    wake.on_commit(engine, wake.DatagramSender(Layout.at(settings.data_path).wake_socket).send)
    return engine
