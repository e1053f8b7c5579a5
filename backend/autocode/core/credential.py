"""A decrypted provider credential, as the server hands it to a project's supervisor."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Credential:
    provider: str
    secret: str
    base_url: str | None
