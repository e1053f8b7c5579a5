"""The supervisor's decision layer: a nanobot agent steering Claude Code through our tools only.

- :mod:`.adapter`: :class:`Brain`, one nanobot AgentLoop per supervisor process.
- :mod:`.contract`: what the supervisor and the brain agree on (Steering, config, decisions).
- :mod:`.providers`: which nanobot provider serves a template's model.
- :mod:`.schemas`: the model's role and its tools' JSON schemas.
- :mod:`.workspace`: the read-only helpers over the project's folder.
- :mod:`.compat`: every touch of nanobot, private parts listed and checked by a test.
"""

from __future__ import annotations

from autocode.supervisor.brain.adapter import Brain, prepare_brain_dir, read_identity
from autocode.supervisor.brain.contract import (
    MEMORY_CHARS,
    RETRY_DELAYS,
    SESSION_KEY,
    BrainConfig,
    BrainUnavailable,
    Decision,
    Steering,
)
from autocode.supervisor.brain.schemas import MEMORY_SCHEMAS, MEMORY_TOOLS, ROLE, STEERING_SCHEMAS, STEERING_TOOLS
from autocode.supervisor.brain.workspace import (
    READ_HELPERS,
    READ_SCHEMAS,
    ProjectFiles,
    enabled_read_helpers,
    list_dir,
    read_file,
    search,
)

__all__ = [
    "MEMORY_CHARS",
    "MEMORY_SCHEMAS",
    "MEMORY_TOOLS",
    "READ_HELPERS",
    "READ_SCHEMAS",
    "RETRY_DELAYS",
    "ROLE",
    "SESSION_KEY",
    "STEERING_SCHEMAS",
    "STEERING_TOOLS",
    "Brain",
    "BrainConfig",
    "BrainUnavailable",
    "Decision",
    "ProjectFiles",
    "Steering",
    "enabled_read_helpers",
    "list_dir",
    "prepare_brain_dir",
    "read_file",
    "read_identity",
    "search",
]
