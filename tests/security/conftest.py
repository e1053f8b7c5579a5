"""Attacks that need a whole platform (server, supervisor, Claude Code) use the supervision suite's."""

from __future__ import annotations

from tests.supervision.conftest import docker_platform as docker_platform
from tests.supervision.conftest import platform as platform
